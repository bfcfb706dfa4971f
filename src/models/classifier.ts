import * as tf from '@tensorflow/tfjs-core';
import { Module } from './layers/module';
import type { HostTensor } from './weights/tensor';

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

  /** Variables of the classifier (head) only. */
  classifierVariables(): tf.Variable[] {
    const prefix = `${this.classifierName}.`;
    return this.namedVariables()
      .filter((v) => !v.isBuffer && v.name.startsWith(prefix))
      .map((v) => v.variable);
  }
}
