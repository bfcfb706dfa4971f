import * as tf from '@tensorflow/tfjs-core';
import { Module } from './layers/module';
import type { HostTensor } from './weights/tensor';
import { GroupMatcher, groupLayers } from './layer-groups';
import { checkpoint } from './layers/checkpoint';
import { UserError } from '../util/errors';

/** Input expectations of a model family's pretrained weights (timm's pretrained_cfg, as data). */
export interface PretrainedCfg {
  /** Native square input size in pixels. */
  inputSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** Classes of the published head (1000 for ImageNet). */
  numClasses: number;
}

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];
/** timm's default pretrained config: ImageNet-1k statistics and head at the given input size. */
export function imagenetCfg(inputSize: number): PretrainedCfg {
  return { inputSize, mean: IMAGENET_MEAN, std: IMAGENET_STD, numClasses: 1000 };
}

export const INCEPTION_MEAN: [number, number, number] = [0.5, 0.5, 0.5];
export const INCEPTION_STD: [number, number, number] = [0.5, 0.5, 0.5];

/** Arguments every classifier's architecture carries (besides its family's own). */
export interface ClassifierArgs {
  numClasses: number;
  /** Square input size the model is built for. */
  imgSize: number;
}

/**
 * What Grad-CAM weighs: late activations of one image, the rest of the forward pass from them to the
 * logits, and how they (or their gradients, of the same shape) lie over the image.
 */
export interface CamTarget {
  activations: tf.Tensor;
  /** Logits [1, numClasses] from `activations`. */
  head(activations: tf.Tensor): tf.Tensor2D;
  /** `activations`, or a gradient of their shape, as a grid of image positions [1, h, w, C]. */
  toGrid(t: tf.Tensor): tf.Tensor4D;
  /** The layer, in words ("the last stage's feature map"). */
  layer: string;
}

/**
 * An image classifier: NHWC images in, logits out. `forwardFeatures` is the backbone,
 * `forwardHead` pools and classifies; `preLogits` is the pooled feature vector (timm's pre_logits).
 */
export abstract class ClassifierModel<A extends ClassifierArgs = ClassifierArgs> extends Module {
  /** Width of the pooled feature vector. */
  abstract readonly numFeatures: number;
  /** Dotted name of the classifier layer, e.g. "head" or "classifier". */
  abstract readonly classifierName: string;

  /**
   * @param modelName registered name (timm's), e.g. "efficientnet_b0"
   * @param args the architecture's arguments, as getConfig() returns them
   */
  constructor(
    readonly modelName: string,
    readonly args: A,
  ) {
    super();
  }

  get numClasses(): number {
    return this.args.numClasses;
  }

  /** Square input size the model was built for. */
  get imageSize(): number {
    return this.args.imgSize;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.args } as Record<string, unknown>;
  }

  abstract forwardFeatures(x: tf.Tensor4D): tf.Tensor;
  abstract forwardHead(features: tf.Tensor, preLogits?: boolean): tf.Tensor2D;

  /** Logits [batch, numClasses]. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.forwardHead(this.forwardFeatures(x)));
  }

  /** Pooled features before the classifier [batch, numFeatures]. */
  preLogits(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.forwardHead(this.forwardFeatures(x), true));
  }

  /**
   * Adapts a pretrained tensor (timm name, PyTorch layout) to this model before it is loaded,
   * e.g. resampling ViT position embeddings to another image size. Default: unchanged.
   */
  adaptPretrained(name: string, tensor: HostTensor): HostTensor {
    void name;
    return tensor;
  }

  /**
   * timm's group_matcher(coarse=False): how parameters group into layers for layer-wise
   * learning-rate decay (see layer-groups.ts).
   */
  protected abstract groupMatcher(): GroupMatcher;

  private layerIds: Map<string, number> | null = null;

  private layerMap(): Map<string, number> {
    this.layerIds ??= groupLayers(this.parameterNames(), this.groupMatcher());
    return this.layerIds;
  }

  /** Names of the trainable parameters (buffers excluded), in state-dict order. */
  protected parameterNames(): string[] {
    return this.namedVariables()
      .filter((v) => !v.isBuffer)
      .map((v) => v.name);
  }

  /** Number of layer groups; ids run 0 (the stem) to numLayerGroups() - 1 (the head). */
  numLayerGroups(): number {
    return Math.max(0, ...this.layerMap().values()) + 1;
  }

  /** The layer group of a parameter (timm's layer id); a name outside the map counts as the head, as in timm. */
  layerId(paramName: string): number {
    return this.layerMap().get(paramName) ?? this.numLayerGroups() - 1;
  }

  /**
   * Parameters never weight-decayed besides biases and other 1-D tensors (timm's no_weight_decay(),
   * as full parameter names). Default: none.
   */
  noWeightDecay(): Set<string> {
    return new Set();
  }

  /**
   * Grad-CAM's target for one image [1, S, S, 3]. Default: the map `forwardFeatures` returns
   * [1, h, w, C] (the last stage of a CNN or Swin; the head pools it), with `forwardHead` after it.
   */
  camTarget(x: tf.Tensor4D): CamTarget {
    const features = this.forwardFeatures(x);
    if (features.rank !== 4) {
      features.dispose();
      throw new Error(`${this.modelName}: forwardFeatures gives rank ${features.rank}, not a feature map; the family must define camTarget`);
    }
    return {
      activations: features,
      head: (a) => this.forwardHead(a),
      toGrid: (t) => t as tf.Tensor4D,
      layer: "the last stage's feature map",
    };
  }

  private checkpointing = false;

  /** Whether this family's blocks can be checkpointed (they run through `forwardBlock`). */
  get supportsGradCheckpointing(): boolean {
    return false;
  }

  /** Whether training recomputes each block's activations in the backward pass. */
  get gradCheckpointing(): boolean {
    return this.checkpointing;
  }

  /**
   * timm's set_grad_checkpointing (model.checkpointActivations): in training, each block keeps only its
   * input during the forward pass and runs again in the backward pass, so a step holds one block's
   * intermediates at a time (see layers/checkpoint.ts). Inference and frozen (non-training) blocks never
   * checkpoint. A family that does not support it refuses with a UserError naming the model.
   */
  setGradCheckpointing(enable = true): this {
    if (enable && !this.supportsGradCheckpointing) {
      throw new UserError(
        `model.checkpointActivations: ${this.modelName} does not support activation checkpointing ` +
          `(ViT, DINOv2, Swin V2, ResNet, EfficientNet and DenseNet models do); set it to false`,
      );
    }
    this.checkpointing = enable;
    return this;
  }

  /** Runs one block, checkpointed when setGradCheckpointing is on and the block is training. */
  protected forwardBlock<T extends tf.Tensor>(block: Module, x: T, forward: (x: T) => T): T {
    return this.checkpointing && block.training ? checkpoint(block, x, forward) : forward(x);
  }

  /** Variables of the classifier (head) only. */
  classifierVariables(): tf.Variable[] {
    const prefix = `${this.classifierName}.`;
    return this.namedVariables()
      .filter((v) => !v.isBuffer && v.name.startsWith(prefix))
      .map((v) => v.variable);
  }
}
