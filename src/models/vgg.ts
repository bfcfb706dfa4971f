import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ClassifierModel, imagenetCfg } from './classifier';
import { Module } from './layers/module';
import { Initializer } from './layers/init';
import { Conv2d } from './layers/conv';
import { ClassifierHead } from './layers/classifier-head';
import { Dropout } from './layers/dropout';
import { adaptiveAvgPool2d } from './layers/pooling';
import { Sequence } from './layers/sequence';
import { GroupMatcher } from './layer-groups';
import { registerModel } from './registry';

/** A conv layer's output channels, or 'M' for a 2×2 max pool (the VGG paper's configuration tables). */
export type VggLayerDef = number | 'M';

export interface VggArgs {
  numClasses: number;
  imgSize: number;
  inChans: number;
  features: VggLayerDef[];
  /** Width of the fc6/fc7 layers (timm's head_hidden_size). */
  mlpHidden: number;
  /** Kernel of fc6 as a convolution (7: the 7×7 map of a 224 px input). */
  mlpKernel: number;
  /** Dropout after fc6 and before the classifier (timm applies one rate to both). */
  dropRate: number;
}

/** VGG-16's configuration "D". */
export const VGG16_FEATURES: VggLayerDef[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];

/**
 * fc6 and fc7 as convolutions (timm's ConvMlp, named pre_logits.fc1 / fc2): fc6 is a kernel-sized 'valid'
 * conv, so inputs larger than 224 px give a grid of fc7 features that the head averages; maps smaller than
 * the kernel are first average-pooled up to it, as timm does.
 */
export class ConvMlp extends Module {
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  readonly drop: Dropout;
  constructor(
    readonly inChannels: number,
    readonly hidden: number,
    readonly kernel: number,
    dropRate: number,
    init: Initializer,
  ) {
    super();
    this.fc1 = this.addChild('fc1', new Conv2d({ inChannels, outChannels: hidden, kernelSize: kernel, padding: 'valid' }, init));
    this.drop = this.addChild('drop', new Dropout(dropRate));
    this.fc2 = this.addChild('fc2', new Conv2d({ inChannels: hidden, outChannels: hidden, kernelSize: 1, padding: 'valid' }, init));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [, h, w] = x.shape;
      const k = this.kernel;
      const fitted = h < k || w < k ? adaptiveAvgPool2d(x, Math.max(k, h), Math.max(k, w)) : x;
      const y = this.drop.forward(tf.relu(this.fc1.forward(fitted))) as tf.Tensor4D;
      return tf.relu(this.fc2.forward(y));
    });
  }
  getConfig(): Record<string, unknown> {
    return { inChannels: this.inChannels, hidden: this.hidden, kernel: this.kernel };
  }
}

/** VGG (Simonyan & Zisserman 2014) as timm defines it: features.N convs, pre_logits ConvMlp, head.fc. */
export class Vgg extends ClassifierModel<VggArgs> {
  /** Conv layers in order, null for a max pool. */
  readonly layers: (Conv2d | null)[] = [];
  readonly preLogitsMlp: ConvMlp;
  readonly head: ClassifierHead | null;
  readonly classifierName = 'head.fc';

  constructor(modelName: string, args: VggArgs, init: Initializer) {
    super(modelName, args);
    const features = this.addChild('features', new Sequence());
    let channels = args.inChans;
    // Indices follow nn.Sequential: each conv is followed by a ReLU, which takes an index of its own.
    let index = 0;
    for (const def of args.features) {
      if (def === 'M') {
        this.layers.push(null);
        index += 1;
      } else {
        this.layers.push(features.add(String(index), new Conv2d({ inChannels: channels, outChannels: def, kernelSize: 3, padding: 1 }, init)));
        channels = def;
        index += 2;
      }
    }
    this.preLogitsMlp = this.addChild('pre_logits', new ConvMlp(channels, args.mlpHidden, args.mlpKernel, args.dropRate, init));
    this.head = args.numClasses > 0 ? this.addChild('head', new ClassifierHead(args.mlpHidden, args.numClasses, args.dropRate, init, 0.01)) : null;
  }

  get numFeatures(): number {
    return this.args.mlpHidden;
  }

  /** The last conv stage's pooled map: [B, H/32, W/32, 512]. */
  forwardFeatures(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = x;
      for (const layer of this.layers) y = layer ? tf.relu(layer.forward(y)) : tf.maxPool(y, 2, 2, 'valid');
      return y;
    });
  }

  /** fc6/fc7 (pre_logits), global average, classifier; preLogits are the averaged fc7 features. */
  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = tf.mean(this.preLogitsMlp.forward(features as tf.Tensor4D), [1, 2]) as tf.Tensor2D;
      if (preLogits || !this.head) return pooled;
      return this.head.forward(pooled);
    });
  }

  /** timm's: the first conv 0, every later conv its own layer; fc6/fc7 and the classifier last. */
  protected groupMatcher(): GroupMatcher {
    return { stem: /^features\.0\./, blocks: /^features\.(\d+)/ };
  }
}

/** `model.args` of a VGG. */
export const vggArgsSchema = z
  .object({
    inChans: z.number().int().positive(),
    features: z.array(z.union([z.number().int().positive(), z.literal('M')])).min(1),
    mlpHidden: z.number().int().positive(),
    mlpKernel: z.number().int().positive(),
  })
  .partial()
  .strict();

function registerVgg(name: string, features: VggLayerDef[], millions: number): void {
  registerModel({
    name,
    family: 'vgg',
    pretrainedCfg: imagenetCfg(224),
    timmParams: { millions, numClasses: 1000 },
    argsSchema: vggArgsSchema,
    build: (o, args, init) =>
      new Vgg(
        name,
        {
          numClasses: o.numClasses,
          imgSize: o.imageSize,
          inChans: 3,
          features,
          mlpHidden: 4096,
          mlpKernel: 7,
          ...args,
          dropRate: o.dropRate ?? 0,
        },
        init,
      ),
  });
}

registerVgg('vgg16', VGG16_FEATURES, 138.36);
