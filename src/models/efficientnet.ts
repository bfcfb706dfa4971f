import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ClassifierModel, imagenetCfg } from './classifier';
import { Module } from './layers/module';
import { Initializer } from './layers/init';
import { Conv2d, ConvPadding } from './layers/conv';
import { BatchNorm2d } from './layers/norm';
import { Linear } from './layers/linear';
import { Dropout, DropPath } from './layers/dropout';
import { silu } from './layers/activations';
import { Sequence } from './layers/sequence';
import { GroupMatcher, MATCH_PREV_GROUP } from './layer-groups';
import { registerModel } from './registry';
import { channelGateFused, spatialMeanFused } from '../backend/ops';

/**
 * One stage of the architecture, as one of timm's block strings: block type (ds depthwise-separable,
 * ir inverted residual, er edge residual, cn conv-bn-act), repeats, kernel, stride, expansion, output
 * channels, SE ratio (0: no squeeze-excite) and whether a block of equal shapes adds its input.
 */
export const stageDefSchema = z
  .object({
    block: z.enum(['ds', 'ir', 'er', 'cn']),
    repeats: z.number().int().positive(),
    kernel: z.number().int().positive(),
    stride: z.number().int().positive(),
    expand: z.number().positive(),
    channels: z.number().int().positive(),
    seRatio: z.number().min(0).max(1),
    /** Default: true, except for cn blocks (timm's "_skip" option turns it on there). */
    skip: z.boolean().optional(),
  })
  .strict();
export type StageDef = z.infer<typeof stageDefSchema>;

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
  /** Channel rounding keeps at least this fraction of the target (timm's round_limit; 0 for test_efficientnet). */
  roundLimit: number;
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

/** Channels scaled by the width multiplier and rounded to a multiple of 8, never below roundLimit (90%) of the target. */
export function roundChannels(channels: number, multiplier: number, divisor = 8, roundLimit = 0.9): number {
  const v = channels * multiplier;
  let rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (rounded < roundLimit * v) rounded += divisor;
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
  skip: boolean;
  dropPath: number;
  bnEps: number;
}

/** Squeeze-excite of a block whose SE ratio is not 0, sized from the block's input channels as timm does. */
function optionalSe(channels: number, a: BlockArgs, init: Initializer, add: (se: SqueezeExcite) => SqueezeExcite): SqueezeExcite | null {
  return a.seRatio > 0 ? add(new SqueezeExcite(channels, Math.round(a.inChannels * a.seRatio), init)) : null;
}

/** Conv, BN, SiLU (timm's ConvBnAct, the cn block). */
export class ConvBnAct extends Module {
  readonly conv: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly dropPath: DropPath;
  readonly hasSkip: boolean;

  constructor(
    readonly a: BlockArgs,
    o: ConvOpts,
  ) {
    super();
    this.conv = this.addChild('conv', conv(a.inChannels, a.outChannels, a.kernel, a.stride, o));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: a.outChannels, eps: a.bnEps }));
    this.dropPath = this.addChild('drop_path', new DropPath(a.dropPath));
    this.hasSkip = a.skip && a.stride === 1 && a.inChannels === a.outChannels;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = this.bn1.forward(this.conv.forward(x), 'silu');
      return (this.hasSkip ? tf.add(x, this.dropPath.forward(y)) : y) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.a };
  }
}

/**
 * The two blocks made of one k×k conv (BN, SiLU), optional SE and a 1×1 projection (BN), with a skip
 * when the shape allows; they differ only in timm's names and in the first conv's width.
 */
abstract class ConvSeProjectBlock extends Module {
  readonly first: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly se: SqueezeExcite | null;
  readonly project: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly dropPath: DropPath;
  readonly hasSkip: boolean;

  protected constructor(
    readonly a: BlockArgs,
    o: ConvOpts,
    names: { first: string; project: string },
    first: { channels: number; depthwise: boolean },
  ) {
    super();
    this.first = this.addChild(names.first, conv(a.inChannels, first.channels, a.kernel, a.stride, o, first.depthwise));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: first.channels, eps: a.bnEps }));
    this.se = optionalSe(first.channels, a, o.init, (se) => this.addChild('se', se));
    this.project = this.addChild(names.project, conv(first.channels, a.outChannels, 1, 1, o));
    this.bn2 = this.addChild('bn2', new BatchNorm2d({ numFeatures: a.outChannels, eps: a.bnEps }));
    this.dropPath = this.addChild('drop_path', new DropPath(a.dropPath));
    this.hasSkip = a.skip && a.stride === 1 && a.inChannels === a.outChannels;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.bn1.forward(this.first.forward(x), 'silu');
      if (this.se) y = this.se.forward(y);
      y = this.bn2.forward(this.project.forward(y));
      return (this.hasSkip ? tf.add(x, this.dropPath.forward(y)) : y) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.a };
  }
}

/** Edge residual (fused MBConv, the er block): k×k expanding conv, BN, SiLU, SE, pw project, BN. */
export class EdgeResidual extends ConvSeProjectBlock {
  constructor(a: BlockArgs, o: ConvOpts) {
    super(a, o, { first: 'conv_exp', project: 'conv_pwl' }, { channels: roundChannels(a.inChannels * a.expand, 1), depthwise: false });
  }
}

/** Depthwise-separable block (stage 1): dw conv, BN, SiLU, SE, pw conv, BN. */
export class DepthwiseSeparableConv extends ConvSeProjectBlock {
  constructor(a: BlockArgs, o: ConvOpts) {
    super(a, o, { first: 'conv_dw', project: 'conv_pw' }, { channels: a.inChannels, depthwise: true });
  }
}

/** Inverted residual (MBConv): pw expand, BN, SiLU, dw conv, BN, SiLU, SE, pw project, BN. */
export class InvertedResidual extends Module {
  readonly convPw: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly convDw: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly se: SqueezeExcite | null;
  readonly convPwl: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly dropPath: DropPath;
  readonly hasSkip: boolean;

  constructor(
    readonly a: BlockArgs,
    o: ConvOpts,
  ) {
    super();
    const mid = roundChannels(a.inChannels * a.expand, 1);
    this.convPw = this.addChild('conv_pw', conv(a.inChannels, mid, 1, 1, o));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: mid, eps: a.bnEps }));
    this.convDw = this.addChild('conv_dw', conv(mid, mid, a.kernel, a.stride, o, true));
    this.bn2 = this.addChild('bn2', new BatchNorm2d({ numFeatures: mid, eps: a.bnEps }));
    // timm sizes the SE bottleneck from the block's input channels, not the expanded ones.
    this.se = optionalSe(mid, a, o.init, (se) => this.addChild('se', se));
    this.convPwl = this.addChild('conv_pwl', conv(mid, a.outChannels, 1, 1, o));
    this.bn3 = this.addChild('bn3', new BatchNorm2d({ numFeatures: a.outChannels, eps: a.bnEps }));
    this.dropPath = this.addChild('drop_path', new DropPath(a.dropPath));
    this.hasSkip = a.skip && a.stride === 1 && a.inChannels === a.outChannels;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.bn1.forward(this.convPw.forward(x), 'silu');
      y = this.bn2.forward(this.convDw.forward(y), 'silu');
      if (this.se) y = this.se.forward(y);
      y = this.bn3.forward(this.convPwl.forward(y));
      return (this.hasSkip ? tf.add(x, this.dropPath.forward(y)) : y) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.a };
  }
}

type EfficientNetBlock = DepthwiseSeparableConv | InvertedResidual | EdgeResidual | ConvBnAct;
const BLOCKS: Record<StageDef['block'], new (a: BlockArgs, o: ConvOpts) => EfficientNetBlock> = {
  ds: DepthwiseSeparableConv,
  ir: InvertedResidual,
  er: EdgeResidual,
  cn: ConvBnAct,
};

/** EfficientNet (Tan & Le 2019) with timm's parameter names and compound scaling. */
export class EfficientNet extends ClassifierModel<EfficientNetArgs> {
  readonly convStem: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly blocks: EfficientNetBlock[] = [];
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
    const round = (c: number) => roundChannels(c, cm, 8, args.roundLimit);
    const stem = round(args.stemChannels);
    this.convStem = this.addChild('conv_stem', conv(3, stem, 3, 2, o));
    this.bn1 = this.addChild('bn1', new BatchNorm2d({ numFeatures: stem, eps: args.bnEps }));

    const stages = args.stages.map((s) => ({ ...s, repeats: Math.ceil(s.repeats * args.depthMultiplier) }));
    const total = stages.reduce((n, s) => n + s.repeats, 0);
    const blocks = this.addChild('blocks', new Sequence());
    let inC = stem;
    let index = 0;
    stages.forEach((s, si) => {
      const stage = blocks.add(String(si), new Sequence());
      const outC = round(s.channels);
      for (let r = 0; r < s.repeats; r++) {
        const a: BlockArgs = {
          inChannels: inC,
          outChannels: outC,
          kernel: s.kernel,
          stride: r === 0 ? s.stride : 1,
          expand: s.expand,
          seRatio: s.seRatio,
          skip: s.skip ?? s.block !== 'cn',
          dropPath: (args.dropPathRate * index) / total,
          bnEps: args.bnEps,
        };
        const block = new BLOCKS[s.block](a, o);
        this.blocks.push(stage.add(String(r), block));
        inC = outC;
        index++;
      }
    });
    this.numFeatures = round(args.headChannels);
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
      for (const block of this.blocks) y = this.forwardBlock(block, y, (v) => block.forward(v));
      return this.bn2.forward(this.convHead.forward(y), 'silu');
    });
  }

  override get supportsGradCheckpointing(): boolean {
    return true;
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

  /** timm's: stem 0, each block its own layer, the head conv with the last block, the classifier last. */
  protected groupMatcher(): GroupMatcher {
    return {
      stem: /^(?:conv_stem|bn1)/,
      blocks: [{ pattern: /^blocks\.(\d+)\.(\d+)/ }, { pattern: /^(?:conv_head|bn2)/, suffix: [MATCH_PREV_GROUP] }],
    };
  }
}

interface Scaling {
  channelMultiplier: number;
  depthMultiplier: number;
  inputSize: number;
  dropRate: number;
  params: number;
}

/** `model.args` of an EfficientNet: the architecture as EfficientNetArgs, every key optional. */
export const efficientNetArgsSchema = z
  .object({
    channelMultiplier: z.number().positive(),
    depthMultiplier: z.number().positive(),
    stages: z.array(stageDefSchema).min(1),
    stemChannels: z.number().int().positive(),
    headChannels: z.number().int().positive(),
    tfPadding: z.boolean(),
    bnEps: z.number().positive(),
    roundLimit: z.number().min(0).max(1),
  })
  .partial()
  .strict();

type Architecture = Omit<EfficientNetArgs, 'numClasses' | 'imgSize' | 'dropPathRate'>;

function registerEfficientNet(name: string, arch: Architecture, inputSize: number, params?: number): void {
  registerModel({
    name,
    family: 'efficientnet',
    pretrainedCfg: imagenetCfg(inputSize),
    timmParams: params !== undefined ? { millions: params, numClasses: 1000 } : undefined,
    argsSchema: efficientNetArgsSchema,
    build: (o, args, init) =>
      new EfficientNet(
        name,
        {
          ...arch,
          ...args,
          numClasses: o.numClasses,
          imgSize: o.imageSize,
          dropRate: o.dropRate ?? arch.dropRate,
          dropPathRate: o.dropPathRate ?? 0,
        },
        init,
      ),
  });
}

// (width, depth, resolution, dropout) per variant, from the EfficientNet paper as timm uses them.
const SCALINGS: Record<string, Scaling> = {
  b0: { channelMultiplier: 1.0, depthMultiplier: 1.0, inputSize: 224, dropRate: 0.2, params: 5.29 },
  b1: { channelMultiplier: 1.0, depthMultiplier: 1.1, inputSize: 240, dropRate: 0.2, params: 7.79 },
  b2: { channelMultiplier: 1.1, depthMultiplier: 1.2, inputSize: 260, dropRate: 0.3, params: 9.11 },
  b3: { channelMultiplier: 1.2, depthMultiplier: 1.4, inputSize: 300, dropRate: 0.3, params: 12.23 },
  b4: { channelMultiplier: 1.4, depthMultiplier: 1.8, inputSize: 380, dropRate: 0.4, params: 19.34 },
};

for (const [variant, s] of Object.entries(SCALINGS)) {
  for (const tfStyle of [false, true]) {
    registerEfficientNet(
      `${tfStyle ? 'tf_' : ''}efficientnet_${variant}`,
      {
        channelMultiplier: s.channelMultiplier,
        depthMultiplier: s.depthMultiplier,
        stages: EFFICIENTNET_B0_STAGES,
        stemChannels: 32,
        headChannels: 1280,
        tfPadding: tfStyle,
        bnEps: tfStyle ? 1e-3 : 1e-5,
        roundLimit: 0.9,
        dropRate: s.dropRate,
      },
      s.inputSize,
      s.params,
    );
  }
}

// A small EfficientNet for demos and tests: timm's test_efficientnet (same names and shapes), five
// stages of one block each ('cn_r1_k3_s1_e1_c16_skip', 'er_r1_k3_s2_e4_c24', 'er_r1_k3_s2_e4_c32',
// 'ir_r1_k3_s2_e4_c48_se0.25', 'ir_r1_k3_s2_e4_c64_se0.25'), stem 24, 256 features.
registerEfficientNet(
  'test_efficientnet',
  {
    channelMultiplier: 1,
    depthMultiplier: 1,
    stages: [
      { block: 'cn', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 16, seRatio: 0, skip: true },
      { block: 'er', repeats: 1, kernel: 3, stride: 2, expand: 4, channels: 24, seRatio: 0 },
      { block: 'er', repeats: 1, kernel: 3, stride: 2, expand: 4, channels: 32, seRatio: 0 },
      { block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 4, channels: 48, seRatio: 0.25 },
      { block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 4, channels: 64, seRatio: 0.25 },
    ],
    stemChannels: 24,
    headChannels: 256,
    tfPadding: false,
    bnEps: 1e-5,
    roundLimit: 0,
    dropRate: 0,
  },
  160,
  0.36,
);
