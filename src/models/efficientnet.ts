import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel, imagenetCfg } from './classifier';
import { Module } from './layers/module';
import { Initializer } from './layers/init';
import { Conv2d, ConvPadding } from './layers/conv';
import { BatchNorm2d } from './layers/norm';
import { Linear } from './layers/linear';
import { Dropout, DropPath } from './layers/dropout';
import { silu } from './layers/activations';
import { Sequence } from './vit';
import { registerModel } from './registry';
import { channelGateFused, spatialMeanFused } from '../backend/ops';

/** One stage of the architecture: block type, repeats, kernel, stride, expansion, output channels, SE ratio. */
export interface StageDef {
  block: 'ds' | 'ir';
  repeats: number;
  kernel: number;
  stride: number;
  expand: number;
  channels: number;
  seRatio: number;
}

export interface EfficientNetArgs {
  numClasses: number;
  imgSize: number;
  channelMultiplier: number;
  depthMultiplier: number;
  stages: StageDef[];
  stemChannels: number;
  headChannels: number;
  /** TensorFlow-style "same" padding (tf_ variants) instead of PyTorch's symmetric padding. */
  tfPadding: boolean;
  bnEps: number;
  dropRate: number;
  dropPathRate: number;
}

/** EfficientNet-B0's stages (Tan & Le 2019), in timm's block-string order. */
export const EFFICIENTNET_B0_STAGES: StageDef[] = [
  { block: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 16, seRatio: 0.25 },
  { block: 'ir', repeats: 2, kernel: 3, stride: 2, expand: 6, channels: 24, seRatio: 0.25 },
  { block: 'ir', repeats: 2, kernel: 5, stride: 2, expand: 6, channels: 40, seRatio: 0.25 },
  { block: 'ir', repeats: 3, kernel: 3, stride: 2, expand: 6, channels: 80, seRatio: 0.25 },
  { block: 'ir', repeats: 3, kernel: 5, stride: 1, expand: 6, channels: 112, seRatio: 0.25 },
  { block: 'ir', repeats: 4, kernel: 5, stride: 2, expand: 6, channels: 192, seRatio: 0.25 },
  { block: 'ir', repeats: 1, kernel: 3, stride: 1, expand: 6, channels: 320, seRatio: 0.25 },
];

/** Channels scaled by the width multiplier and rounded to a multiple of 8, never below 90% of the target. */
export function roundChannels(channels: number, multiplier: number, divisor = 8): number {
  const v = channels * multiplier;
  let rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

interface ConvOpts {
  tfPadding: boolean;
  init: Initializer;
}

function conv(inC: number, outC: number, k: number, stride: number, o: ConvOpts, depthwise = false, bias = false): Conv2d {
  // PyTorch-style symmetric padding ((s-1) + (k-1)) / 2, as timm's get_padding for the non-tf variants.
  const padding: ConvPadding = o.tfPadding ? 'same' : Math.floor((stride - 1 + (k - 1)) / 2);
  return new Conv2d({ inChannels: inC, outChannels: outC, kernelSize: k, stride, padding, groups: depthwise ? inC : 1, bias }, o.init);
}

/** Squeeze-and-excitation: channel gates from globally pooled features. */
export class SqueezeExcite extends Module {
  readonly convReduce: Conv2d;
  readonly convExpand: Conv2d;
  constructor(channels: number, reduced: number, init: Initializer) {
    super();
    this.convReduce = this.addChild('conv_reduce', new Conv2d({ inChannels: channels, outChannels: reduced, kernelSize: 1, padding: 0 }, init));
    this.convExpand = this.addChild('conv_expand', new Conv2d({ inChannels: reduced, outChannels: channels, kernelSize: 1, padding: 0 }, init));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // The pooling and the gating are one native kernel each way where the backend has them.
      const s = spatialMeanFused(x) ?? tf.mean(x, [1, 2], true);
      const gate = tf.sigmoid(this.convExpand.forward(silu(this.convReduce.forward(s)))) as tf.Tensor4D;
      return channelGateFused(x, gate) ?? (tf.mul(x, gate) as tf.Tensor4D);
    });
  }
  getConfig(): Record<string, unknown> {
    return { channels: this.convReduce.args.inChannels, reduced: this.convReduce.args.outChannels };
  }
}

interface BlockArgs {
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  expand: number;
  seRatio: number;
  dropPath: number;
  bnEps: number;
}

/** Depthwise-separable block (stage 1): dw conv, BN, SiLU, SE, pw conv, BN. */
export class DepthwiseSeparableConv extends Module {
  readonly convDw: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly se: SqueezeExcite;
  readonly convPw: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly dropPath: DropPath;
  readonly hasSkip: boolean;

  constructor(readonly a: BlockArgs, o: ConvOpts) {
    super();
    this.convDw = this.addChild('conv_dw', conv(a.inChannels, a.inChannels, a.kernel, a.stride, o, true));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: a.inChannels, eps: a.bnEps }));
    this.se = this.addChild('se', new SqueezeExcite(a.inChannels, Math.round(a.inChannels * a.seRatio), o.init));
    this.convPw = this.addChild('conv_pw', conv(a.inChannels, a.outChannels, 1, 1, o));
    this.bn2 = this.addChild('bn2', new BatchNorm2d({ numFeatures: a.outChannels, eps: a.bnEps }));
    this.dropPath = this.addChild('drop_path', new DropPath(a.dropPath));
    this.hasSkip = a.stride === 1 && a.inChannels === a.outChannels;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.bn1.forward(this.convDw.forward(x), 'silu');
      y = this.se.forward(y);
      y = this.bn2.forward(this.convPw.forward(y));
      return (this.hasSkip ? tf.add(x, this.dropPath.forward(y)) : y) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.a };
  }
}

/** Inverted residual (MBConv): pw expand, BN, SiLU, dw conv, BN, SiLU, SE, pw project, BN. */
export class InvertedResidual extends Module {
  readonly convPw: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly convDw: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly se: SqueezeExcite;
  readonly convPwl: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly dropPath: DropPath;
  readonly hasSkip: boolean;

  constructor(readonly a: BlockArgs, o: ConvOpts) {
    super();
    const mid = roundChannels(a.inChannels * a.expand, 1);
    this.convPw = this.addChild('conv_pw', conv(a.inChannels, mid, 1, 1, o));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: mid, eps: a.bnEps }));
    this.convDw = this.addChild('conv_dw', conv(mid, mid, a.kernel, a.stride, o, true));
    this.bn2 = this.addChild('bn2', new BatchNorm2d({ numFeatures: mid, eps: a.bnEps }));
    // timm sizes the SE bottleneck from the block's input channels, not the expanded ones.
    this.se = this.addChild('se', new SqueezeExcite(mid, Math.round(a.inChannels * a.seRatio), o.init));
    this.convPwl = this.addChild('conv_pwl', conv(mid, a.outChannels, 1, 1, o));
    this.bn3 = this.addChild('bn3', new BatchNorm2d({ numFeatures: a.outChannels, eps: a.bnEps }));
    this.dropPath = this.addChild('drop_path', new DropPath(a.dropPath));
    this.hasSkip = a.stride === 1 && a.inChannels === a.outChannels;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.bn1.forward(this.convPw.forward(x), 'silu');
      y = this.bn2.forward(this.convDw.forward(y), 'silu');
      y = this.se.forward(y);
      y = this.bn3.forward(this.convPwl.forward(y));
      return (this.hasSkip ? tf.add(x, this.dropPath.forward(y)) : y) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.a };
  }
}

/** EfficientNet (Tan & Le 2019) with timm's parameter names and compound scaling. */
export class EfficientNet extends ClassifierModel<EfficientNetArgs> {
  readonly convStem: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly blocks: (DepthwiseSeparableConv | InvertedResidual)[] = [];
  readonly convHead: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly drop: Dropout;
  readonly classifier: Linear | null;
  readonly classifierName = 'classifier';
  readonly numFeatures: number;

  constructor(modelName: string, args: EfficientNetArgs, init: Initializer) {
    super(modelName, args);
    const o: ConvOpts = { tfPadding: args.tfPadding, init };
    const cm = args.channelMultiplier;
    const stem = roundChannels(args.stemChannels, cm);
    this.convStem = this.addChild('conv_stem', conv(3, stem, 3, 2, o));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: stem, eps: args.bnEps }));

    const stages = args.stages.map((s) => ({ ...s, repeats: Math.ceil(s.repeats * args.depthMultiplier) }));
    const total = stages.reduce((n, s) => n + s.repeats, 0);
    const blocks = this.addChild('blocks', new Sequence());
    let inC = stem;
    let index = 0;
    stages.forEach((s, si) => {
      const stage = blocks.add(String(si), new Sequence());
      const outC = roundChannels(s.channels, cm);
      for (let r = 0; r < s.repeats; r++) {
        const a: BlockArgs = {
          inChannels: inC,
          outChannels: outC,
          kernel: s.kernel,
          stride: r === 0 ? s.stride : 1,
          expand: s.expand,
          seRatio: s.seRatio,
          dropPath: (args.dropPathRate * index) / total,
          bnEps: args.bnEps,
        };
        const block = s.block === 'ds' ? new DepthwiseSeparableConv(a, o) : new InvertedResidual(a, o);
        this.blocks.push(stage.add(String(r), block));
        inC = outC;
        index++;
      }
    });
    this.numFeatures = roundChannels(args.headChannels, cm);
    this.convHead = this.addChild('conv_head', conv(inC, this.numFeatures, 1, 1, o));
    this.bn2 = this.addChild('bn2', new BatchNorm2d({ numFeatures: this.numFeatures, eps: args.bnEps }));
    this.drop = this.addChild('drop', new Dropout(args.dropRate));
    this.classifier =
      args.numClasses > 0 ? this.addChild('classifier', new Linear({ inFeatures: this.numFeatures, outFeatures: args.numClasses }, init)) : null;
  }

  /** Feature map after the head conv: [B, H/32, W/32, numFeatures]. */
  forwardFeatures(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.bn1.forward(this.convStem.forward(x), 'silu');
      for (const block of this.blocks) y = block.forward(y);
      return this.bn2.forward(this.convHead.forward(y), 'silu');
    });
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor2D {
    return tf.tidy(() => {
      const f4 = features as tf.Tensor4D;
      const fused = f4.rank === 4 ? spatialMeanFused(f4) : null;
      const pooled = (fused ? tf.reshape(fused, [f4.shape[0], f4.shape[3]]) : tf.mean(features, [1, 2])) as tf.Tensor2D;
      if (preLogits || !this.classifier) return pooled;
      return this.classifier.forward(this.drop.forward(pooled)) as tf.Tensor2D;
    });
  }
}

interface Scaling {
  channelMultiplier: number;
  depthMultiplier: number;
  inputSize: number;
  dropRate: number;
  params: number;
}

// (width, depth, resolution, dropout) per variant, from the EfficientNet paper as timm uses them.
const SCALINGS: Record<string, Scaling> = {
  b0: { channelMultiplier: 1.0, depthMultiplier: 1.0, inputSize: 224, dropRate: 0.2, params: 5.29 },
  b1: { channelMultiplier: 1.0, depthMultiplier: 1.1, inputSize: 240, dropRate: 0.2, params: 7.79 },
  b2: { channelMultiplier: 1.1, depthMultiplier: 1.2, inputSize: 260, dropRate: 0.3, params: 9.11 },
  b3: { channelMultiplier: 1.2, depthMultiplier: 1.4, inputSize: 300, dropRate: 0.3, params: 12.23 },
  b4: { channelMultiplier: 1.4, depthMultiplier: 1.8, inputSize: 380, dropRate: 0.4, params: 19.34 },
};

function registerEfficientNet(name: string, scaling: Omit<Scaling, 'params'>, tfStyle: boolean, params?: number, stages = EFFICIENTNET_B0_STAGES): void {
  registerModel({
    name,
    family: 'efficientnet',
    pretrainedCfg: imagenetCfg(scaling.inputSize),
    timmParams: params !== undefined ? { millions: params, numClasses: 1000 } : undefined,
    build: (o, init) =>
      new EfficientNet(
        name,
        {
          numClasses: o.numClasses,
          imgSize: o.imageSize,
          channelMultiplier: scaling.channelMultiplier,
          depthMultiplier: scaling.depthMultiplier,
          stages,
          stemChannels: 32,
          headChannels: 1280,
          tfPadding: tfStyle,
          bnEps: tfStyle ? 1e-3 : 1e-5,
          dropRate: o.dropRate ?? scaling.dropRate,
          dropPathRate: o.dropPathRate ?? 0,
          ...(o.args as Partial<EfficientNetArgs> | undefined),
        },
        init,
      ),
  });
}

for (const [variant, s] of Object.entries(SCALINGS)) {
  registerEfficientNet(`efficientnet_${variant}`, s, false, s.params);
  registerEfficientNet(`tf_efficientnet_${variant}`, s, true, s.params);
}

// A small EfficientNet for demos and tests (as timm's test_efficientnet): three short stages.
registerEfficientNet(
  'test_efficientnet',
  { channelMultiplier: 0.5, depthMultiplier: 1, inputSize: 160, dropRate: 0 },
  false,
  undefined,
  [
    { block: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 16, seRatio: 0.25 },
    { block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 4, channels: 24, seRatio: 0.25 },
    { block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 4, channels: 40, seRatio: 0.25 },
    { block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 4, channels: 64, seRatio: 0.25 },
  ],
);
