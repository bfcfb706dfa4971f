import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ClassifierModel, imagenetCfg } from './classifier';
import { Module } from './layers/module';
import { Initializer } from './layers/init';
import { Conv2d } from './layers/conv';
import { BatchNorm2d } from './layers/norm';
import { addRelu } from './layers/activations';
import { Linear } from './layers/linear';
import { Dropout, DropPath } from './layers/dropout';
import { maxPool2d } from './layers/pooling';
import { Sequence } from './layers/sequence';
import { GroupMatcher } from './layer-groups';
import { registerModel } from './registry';

export type ResNetBlockType = 'basic' | 'bottleneck';

export interface ResNetArgs {
  numClasses: number;
  imgSize: number;
  inChans: number;
  block: ResNetBlockType;
  /** Blocks per stage (ResNet-50: [3, 4, 6, 3]). */
  layers: number[];
  /** Stage widths before the block expansion. */
  channels: number[];
  stemWidth: number;
  dropRate: number;
  dropPathRate: number;
}

const EXPANSION: Record<ResNetBlockType, number> = { basic: 1, bottleneck: 4 };

function conv(inC: number, outC: number, k: number, stride: number, init: Initializer): Conv2d {
  // PyTorch padding k//2 (timm's get_padding for stride 1 and 2 alike with odd kernels).
  return new Conv2d({ inChannels: inC, outChannels: outC, kernelSize: k, stride, padding: Math.floor(k / 2), bias: false }, init);
}

/** 1×1 strided conv + BN on the shortcut (timm's downsample_conv), named downsample.0 / downsample.1. */
export class Downsample extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(inC: number, outC: number, stride: number, init: Initializer) {
    super();
    this.conv = this.addChild('0', conv(inC, outC, 1, stride, init));
    this.bn = this.addChild('1', new BatchNorm2d({ numFeatures: outC }));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.bn.forward(this.conv.forward(x)));
  }
  getConfig(): Record<string, unknown> {
    return { inChannels: this.conv.args.inChannels, outChannels: this.conv.args.outChannels, stride: this.conv.args.stride };
  }
}

/** timm's zero_init_last: the residual branch starts as zero, so each block starts as the identity. */
function zeroInitLast(bn: BatchNorm2d): void {
  tf.tidy(() => bn.weight.assign(tf.zerosLike(bn.weight)));
}

interface BlockArgs {
  inChannels: number;
  planes: number;
  stride: number;
  dropPath: number;
}

/** Two 3×3 convs (ResNet-18/34). */
export class BasicBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Downsample | null;
  readonly dropPath: DropPath;

  constructor(
    readonly a: BlockArgs,
    init: Initializer,
  ) {
    super();
    const out = a.planes * EXPANSION.basic;
    this.conv1 = this.addChild('conv1', conv(a.inChannels, a.planes, 3, a.stride, init));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: a.planes }));
    this.conv2 = this.addChild('conv2', conv(a.planes, out, 3, 1, init));
    this.bn2 = this.addChild('bn2', new BatchNorm2d({ numFeatures: out }));
    zeroInitLast(this.bn2);
    this.downsample = a.stride !== 1 || a.inChannels !== out ? this.addChild('downsample', new Downsample(a.inChannels, out, a.stride, init)) : null;
    this.dropPath = this.addChild('drop_path', new DropPath(a.dropPath));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y: tf.Tensor4D = this.bn1.forward(this.conv1.forward(x), 'relu');
      y = this.bn2.forward(this.conv2.forward(y));
      const shortcut = this.downsample ? this.downsample.forward(x) : x;
      return addRelu(this.dropPath.forward(y), shortcut) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.a };
  }
}

/** 1×1 reduce, 3×3 (strided, as ResNet v1.5 / timm), 1×1 expand ×4 (ResNet-50 and deeper). */
export class Bottleneck extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly downsample: Downsample | null;
  readonly dropPath: DropPath;

  constructor(
    readonly a: BlockArgs,
    init: Initializer,
  ) {
    super();
    const out = a.planes * EXPANSION.bottleneck;
    this.conv1 = this.addChild('conv1', conv(a.inChannels, a.planes, 1, 1, init));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: a.planes }));
    this.conv2 = this.addChild('conv2', conv(a.planes, a.planes, 3, a.stride, init));
    this.bn2 = this.addChild('bn2', new BatchNorm2d({ numFeatures: a.planes }));
    this.conv3 = this.addChild('conv3', conv(a.planes, out, 1, 1, init));
    this.bn3 = this.addChild('bn3', new BatchNorm2d({ numFeatures: out }));
    zeroInitLast(this.bn3);
    this.downsample = a.stride !== 1 || a.inChannels !== out ? this.addChild('downsample', new Downsample(a.inChannels, out, a.stride, init)) : null;
    this.dropPath = this.addChild('drop_path', new DropPath(a.dropPath));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y: tf.Tensor4D = this.bn1.forward(this.conv1.forward(x), 'relu');
      y = this.bn2.forward(this.conv2.forward(y), 'relu');
      y = this.bn3.forward(this.conv3.forward(y));
      const shortcut = this.downsample ? this.downsample.forward(x) : x;
      return addRelu(this.dropPath.forward(y), shortcut) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.a };
  }
}

/** ResNet (He et al. 2016) as timm builds it (v1.5: stride on the 3×3 conv), with timm's parameter names. */
export class ResNet extends ClassifierModel<ResNetArgs> {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly stages: (BasicBlock | Bottleneck)[][] = [];
  readonly drop: Dropout;
  readonly fc: Linear | null;
  readonly classifierName = 'fc';
  readonly numFeatures: number;

  constructor(modelName: string, args: ResNetArgs, init: Initializer) {
    super(modelName, args);
    if (args.layers.length !== args.channels.length) {
      throw new Error(`ResNet needs one block count per stage: layers ${JSON.stringify(args.layers)}, channels ${JSON.stringify(args.channels)}`);
    }
    this.conv1 = this.addChild('conv1', conv(args.inChans, args.stemWidth, 7, 2, init));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: args.stemWidth }));
    const total = args.layers.reduce((n, d) => n + d, 0);
    let inC = args.stemWidth;
    let index = 0;
    args.layers.forEach((depth, si) => {
      const stage = this.addChild(`layer${si + 1}`, new Sequence());
      const blocks: (BasicBlock | Bottleneck)[] = [];
      for (let i = 0; i < depth; i++) {
        const a: BlockArgs = {
          inChannels: inC,
          planes: args.channels[si],
          stride: i === 0 && si > 0 ? 2 : 1,
          // timm's linear stochastic-depth rule: 0 for the first block, the full rate for the last.
          dropPath: total > 1 ? (args.dropPathRate * index) / (total - 1) : 0,
        };
        blocks.push(stage.add(String(i), args.block === 'basic' ? new BasicBlock(a, init) : new Bottleneck(a, init)));
        inC = args.channels[si] * EXPANSION[args.block];
        index++;
      }
      this.stages.push(blocks);
    });
    this.numFeatures = inC;
    this.drop = this.addChild('drop', new Dropout(args.dropRate));
    this.fc = args.numClasses > 0 ? this.addChild('fc', new Linear({ inFeatures: inC, outFeatures: args.numClasses }, init)) : null;
  }

  /** Feature map of the last stage: [B, H/32, W/32, numFeatures]. */
  forwardFeatures(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y: tf.Tensor4D = this.bn1.forward(this.conv1.forward(x), 'relu');
      y = maxPool2d(y, 3, 2, 1);
      for (const stage of this.stages) for (const block of stage) y = this.forwardBlock(block, y, (v) => block.forward(v));
      return y;
    });
  }

  override get supportsGradCheckpointing(): boolean {
    return true;
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = tf.mean(features, [1, 2]) as tf.Tensor2D;
      if (preLogits || !this.fc) return pooled;
      return this.fc.forward(this.drop.forward(pooled)) as tf.Tensor2D;
    });
  }

  /** timm's: stem 0, each block its own layer, the classifier last. */
  protected groupMatcher(): GroupMatcher {
    return { stem: /^(?:conv1|bn1|maxpool)/, blocks: /^layer(\d+)\.(\d+)/ };
  }
}

const positiveInts = z.array(z.number().int().positive()).min(1);

/** `model.args` of a ResNet. */
export const resNetArgsSchema = z
  .object({
    inChans: z.number().int().positive(),
    block: z.enum(['basic', 'bottleneck']),
    layers: positiveInts,
    channels: positiveInts,
    stemWidth: z.number().int().positive(),
  })
  .partial()
  .strict();

function registerResNet(name: string, block: ResNetBlockType, layers: number[], millions: number): void {
  registerModel({
    name,
    family: 'resnet',
    pretrainedCfg: imagenetCfg(224),
    timmParams: { millions, numClasses: 1000 },
    argsSchema: resNetArgsSchema,
    build: (o, args, init) =>
      new ResNet(
        name,
        {
          numClasses: o.numClasses,
          imgSize: o.imageSize,
          inChans: 3,
          block,
          layers,
          channels: [64, 128, 256, 512],
          stemWidth: 64,
          ...args,
          dropRate: o.dropRate ?? 0,
          dropPathRate: o.dropPathRate ?? 0,
        },
        init,
      ),
  });
}

registerResNet('resnet18', 'basic', [2, 2, 2, 2], 11.69);
registerResNet('resnet34', 'basic', [3, 4, 6, 3], 21.8);
registerResNet('resnet50', 'bottleneck', [3, 4, 6, 3], 25.56);
