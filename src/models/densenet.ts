import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ClassifierModel, imagenetCfg } from './classifier';
import { Module } from './layers/module';
import { Initializer } from './layers/init';
import { Conv2d } from './layers/conv';
import { BatchNorm2d } from './layers/norm';
import { Linear } from './layers/linear';
import { Dropout } from './layers/dropout';
import { avgPool2d, maxPool2d } from './layers/pooling';
import { Sequence } from './layers/sequence';
import { GroupMatcher, MATCH_PREV_GROUP } from './layer-groups';
import { registerModel } from './registry';

export interface DenseNetArgs {
  numClasses: number;
  imgSize: number;
  inChans: number;
  /** Channels each dense layer adds (k in the paper). */
  growthRate: number;
  /** Dense layers per block (DenseNet-121: [6, 12, 24, 16]). */
  blockConfig: number[];
  /** Bottleneck width as a multiple of the growth rate. */
  bnSize: number;
  /** Dropout before the classifier. */
  dropRate: number;
  /** Dropout on each dense layer's new features (timm's proj_drop_rate). */
  projDropRate: number;
}

function conv(inC: number, outC: number, k: number, stride: number, init: Initializer): Conv2d {
  // timm initialises DenseNet's convolutions with kaiming_normal_ over fan-in.
  return new Conv2d({ inChannels: inC, outChannels: outC, kernelSize: k, stride, padding: Math.floor(k / 2), bias: false, initFan: 'in' }, init);
}

/** timm's BatchNormAct2d: batch norm then ReLU, as one named module (norm0, norm1, ..., norm5). */
function bnRelu(bn: BatchNorm2d, x: tf.Tensor4D): tf.Tensor4D {
  return bn.forward(x, 'relu');
}

/** BN-ReLU-conv1×1 to bnSize·k channels, BN-ReLU-conv3×3 to k new channels. */
export class DenseLayer extends Module {
  readonly norm1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly drop: Dropout;

  constructor(
    readonly inChannels: number,
    growthRate: number,
    bnSize: number,
    dropRate: number,
    init: Initializer,
  ) {
    super();
    const mid = bnSize * growthRate;
    this.norm1 = this.addChild('norm1', new BatchNorm2d({ numFeatures: inChannels }));
    this.conv1 = this.addChild('conv1', conv(inChannels, mid, 1, 1, init));
    this.norm2 = this.addChild('norm2', new BatchNorm2d({ numFeatures: mid }));
    this.conv2 = this.addChild('conv2', conv(mid, growthRate, 3, 1, init));
    this.drop = this.addChild('drop', new Dropout(dropRate));
  }

  /** The k new feature maps computed from everything before them. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = this.conv1.forward(bnRelu(this.norm1, x));
      return this.drop.forward(this.conv2.forward(bnRelu(this.norm2, y))) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { inChannels: this.inChannels, growthRate: this.conv2.args.outChannels, mid: this.conv1.args.outChannels };
  }
}

/** BN-ReLU, 1×1 conv halving the channels, 2×2 average pool. */
export class DenseTransition extends Module {
  readonly norm: BatchNorm2d;
  readonly conv: Conv2d;
  constructor(inC: number, outC: number, init: Initializer) {
    super();
    this.norm = this.addChild('norm', new BatchNorm2d({ numFeatures: inC }));
    this.conv = this.addChild('conv', conv(inC, outC, 1, 1, init));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => avgPool2d(this.conv.forward(bnRelu(this.norm, x)), 2, 2));
  }
  getConfig(): Record<string, unknown> {
    return { inChannels: this.conv.args.inChannels, outChannels: this.conv.args.outChannels };
  }
}

/** DenseNet-BC (Huang et al. 2017) with timm's parameter names (features.denseblockN.denselayerM...). */
export class DenseNet extends ClassifierModel<DenseNetArgs> {
  readonly conv0: Conv2d;
  readonly norm0: BatchNorm2d;
  readonly blocks: DenseLayer[][] = [];
  readonly transitions: DenseTransition[] = [];
  readonly norm5: BatchNorm2d;
  readonly headDrop: Dropout;
  readonly classifier: Linear | null;
  readonly classifierName = 'classifier';
  readonly numFeatures: number;

  constructor(modelName: string, args: DenseNetArgs, init: Initializer) {
    super(modelName, args);
    const features = this.addChild('features', new Sequence());
    let channels = 2 * args.growthRate;
    this.conv0 = features.add('conv0', conv(args.inChans, channels, 7, 2, init));
    this.norm0 = features.add('norm0', new BatchNorm2d({ numFeatures: channels }));
    args.blockConfig.forEach((numLayers, bi) => {
      const block = features.add(`denseblock${bi + 1}`, new Sequence());
      const layers: DenseLayer[] = [];
      for (let i = 0; i < numLayers; i++) {
        layers.push(
          block.add(`denselayer${i + 1}`, new DenseLayer(channels + i * args.growthRate, args.growthRate, args.bnSize, args.projDropRate, init)),
        );
      }
      this.blocks.push(layers);
      channels += numLayers * args.growthRate;
      if (bi < args.blockConfig.length - 1) {
        this.transitions.push(features.add(`transition${bi + 1}`, new DenseTransition(channels, Math.floor(channels / 2), init)));
        channels = Math.floor(channels / 2);
      }
    });
    this.norm5 = features.add('norm5', new BatchNorm2d({ numFeatures: channels }));
    this.numFeatures = channels;
    this.headDrop = this.addChild('head_drop', new Dropout(args.dropRate));
    if (args.numClasses > 0) {
      this.classifier = this.addChild('classifier', new Linear({ inFeatures: channels, outFeatures: args.numClasses }, init));
      // torchvision's / timm's DenseNet init: classifier bias zero.
      tf.tidy(() => this.classifier!.bias!.assign(tf.zerosLike(this.classifier!.bias!)));
    } else {
      this.classifier = null;
    }
  }

  override get supportsGradCheckpointing(): boolean {
    return true;
  }

  /** Feature map after norm5 (and its ReLU): [B, H/32, W/32, numFeatures]. */
  forwardFeatures(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = maxPool2d(bnRelu(this.norm0, this.conv0.forward(x)), 3, 2, 1);
      this.blocks.forEach((layers, bi) => {
        // Each layer sees the concatenation of the block input and every earlier layer's output.
        const parts: tf.Tensor4D[] = [y];
        for (const layer of layers) {
          const input = parts.length === 1 ? parts[0] : (tf.concat(parts, 3) as tf.Tensor4D);
          // Checkpointed, a layer keeps only its concatenated input: not its norm and ReLU of that width (timm's memory_efficient keeps less still).
          parts.push(this.forwardBlock(layer, input, (v) => layer.forward(v)));
        }
        y = tf.concat(parts, 3) as tf.Tensor4D;
        if (bi < this.transitions.length) y = this.transitions[bi].forward(y);
      });
      return bnRelu(this.norm5, y);
    });
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = this.headDrop.forward(tf.mean(features, [1, 2])) as tf.Tensor2D;
      if (preLogits || !this.classifier) return pooled;
      return this.classifier.forward(pooled) as tf.Tensor2D;
    });
  }

  /** timm's: stem 0, each dense layer its own layer, a transition with the layer before it; norm5 and the classifier last. */
  protected groupMatcher(): GroupMatcher {
    return {
      stem: /^features\.(?:conv[012]|norm[012]|pool[012])/,
      blocks: [{ pattern: /^features\.denseblock(\d+)\.denselayer(\d+)/ }, { pattern: /^features\.transition(\d+)/, suffix: [MATCH_PREV_GROUP] }],
    };
  }
}

/** `model.args` of a DenseNet. */
export const denseNetArgsSchema = z
  .object({
    inChans: z.number().int().positive(),
    growthRate: z.number().int().positive(),
    blockConfig: z.array(z.number().int().positive()).min(1),
    bnSize: z.number().int().positive(),
    projDropRate: z.number().min(0).lt(1),
  })
  .partial()
  .strict();

function registerDenseNet(name: string, growthRate: number, blockConfig: number[], millions: number): void {
  registerModel({
    name,
    family: 'densenet',
    pretrainedCfg: imagenetCfg(224),
    timmParams: { millions, numClasses: 1000 },
    argsSchema: denseNetArgsSchema,
    build: (o, args, init) =>
      new DenseNet(
        name,
        {
          numClasses: o.numClasses,
          imgSize: o.imageSize,
          inChans: 3,
          growthRate,
          blockConfig,
          bnSize: 4,
          projDropRate: 0,
          ...args,
          dropRate: o.dropRate ?? 0,
        },
        init,
      ),
  });
}

registerDenseNet('densenet121', 32, [6, 12, 24, 16], 7.98);
