import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { CamTarget, ClassifierModel, IMAGENET_MEAN, IMAGENET_STD, INCEPTION_MEAN, INCEPTION_STD, PretrainedCfg } from './classifier';
import { Module } from './layers/module';
import { Initializer } from './layers/init';
import { Linear } from './layers/linear';
import { LayerNorm } from './layers/norm';
import { Dropout, DropPath } from './layers/dropout';
import { LayerScale } from './layers/layer-scale';
import { softmax } from './layers/activations';
import { Mlp } from './layers/mlp';
import { PatchEmbed } from './layers/patch-embed';
import { Sequence } from './layers/sequence';
import { GroupMatcher } from './layer-groups';
import { registerModel } from './registry';
import { resamplePosEmbed } from './interpolate';
import { UserError } from '../util/errors';
import type { HostTensor } from './weights/tensor';

export interface VisionTransformerArgs {
  imgSize: number;
  patchSize: number;
  inChans: number;
  numClasses: number;
  embedDim: number;
  depth: number;
  numHeads: number;
  mlpRatio: number;
  qkvBias: boolean;
  /** LayerScale initial value (DINOv2); null for none. */
  initValues: number | null;
  /** 'token' pools the class token, 'avg' averages the patch tokens. */
  globalPool: 'token' | 'avg';
  dropRate: number;
  dropPathRate: number;
  normEps: number;
}

export class Attention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly headDim: number;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
    qkvBias: boolean,
    init: Initializer,
  ) {
    super();
    this.headDim = dim / numHeads;
    this.qkv = this.addChild('qkv', new Linear({ inFeatures: dim, outFeatures: dim * 3, bias: qkvBias, initStd: 0.02 }, init));
    this.proj = this.addChild('proj', new Linear({ inFeatures: dim, outFeatures: dim, initStd: 0.02 }, init));
  }

  forward(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, n] = x.shape;
      const { numHeads: h, headDim: hd, dim } = this;
      const heads = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [b, n, h, hd]), [0, 2, 1, 3]), [b * h, n, hd]) as tf.Tensor3D;
      const [q, k, v] = tf.split(this.qkv.forward(x), 3, 2).map(heads);
      const attn = softmax(tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true));
      const out = tf.matMul(attn, v);
      const merged = tf.reshape(tf.transpose(tf.reshape(out, [b, h, n, hd]), [0, 2, 1, 3]), [b, n, dim]);
      return this.proj.forward(merged) as tf.Tensor3D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { dim: this.dim, numHeads: this.numHeads };
  }
}

export class Block extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly ls1: LayerScale | null;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  readonly ls2: LayerScale | null;
  readonly dropPath: DropPath;

  constructor(
    dim: number,
    numHeads: number,
    mlpRatio: number,
    qkvBias: boolean,
    initValues: number | null,
    dropPath: number,
    eps: number,
    init: Initializer,
  ) {
    super();
    this.norm1 = this.addChild('norm1', new LayerNorm({ normalizedShape: dim, eps }));
    this.attn = this.addChild('attn', new Attention(dim, numHeads, qkvBias, init));
    this.ls1 = initValues !== null ? this.addChild('ls1', new LayerScale(dim, initValues)) : null;
    this.norm2 = this.addChild('norm2', new LayerNorm({ normalizedShape: dim, eps }));
    this.mlp = this.addChild('mlp', new Mlp(dim, Math.round(dim * mlpRatio), init));
    this.ls2 = initValues !== null ? this.addChild('ls2', new LayerScale(dim, initValues)) : null;
    this.dropPath = this.addChild('drop_path', new DropPath(dropPath));
  }

  forward(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      let a: tf.Tensor = this.attn.forward(this.norm1.forward(x) as tf.Tensor3D);
      if (this.ls1) a = this.ls1.forward(a);
      const y = tf.add(x, this.dropPath.forward(a));
      let m = this.mlp.forward(this.norm2.forward(y));
      if (this.ls2) m = this.ls2.forward(m);
      return tf.add(y, this.dropPath.forward(m)) as tf.Tensor3D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { dim: this.attn.dim, numHeads: this.attn.numHeads, dropPath: this.dropPath.rate, layerScale: this.ls1 !== null };
  }
}

/** Vision Transformer (Dosovitskiy et al.) with timm's parameter names. */
export class VisionTransformer extends ClassifierModel<VisionTransformerArgs> {
  readonly patchEmbed: PatchEmbed;
  readonly clsToken: tf.Variable;
  readonly posEmbed: tf.Variable;
  readonly blocks: Block[] = [];
  readonly norm: LayerNorm;
  readonly headDrop: Dropout;
  readonly head: Linear | null;
  readonly classifierName = 'head';

  constructor(modelName: string, args: VisionTransformerArgs, init: Initializer) {
    super(modelName, args);
    const { embedDim, depth, patchSize, imgSize } = args;
    const grid = Math.floor(imgSize / patchSize);
    this.clsToken = this.addParam('cls_token', init.truncNormal([1, 1, embedDim], 1e-6));
    this.posEmbed = this.addParam('pos_embed', init.truncNormal([1, grid * grid + 1, embedDim], 0.02));
    this.patchEmbed = this.addChild('patch_embed', new PatchEmbed(patchSize, args.inChans, embedDim, init));
    const blocks = this.addChild('blocks', new Sequence());
    for (let i = 0; i < depth; i++) {
      const dp = depth > 1 ? (args.dropPathRate * i) / (depth - 1) : 0;
      this.blocks.push(
        blocks.add(String(i), new Block(embedDim, args.numHeads, args.mlpRatio, args.qkvBias, args.initValues, dp, args.normEps, init)),
      );
    }
    this.norm = this.addChild('norm', new LayerNorm({ normalizedShape: embedDim, eps: args.normEps }));
    this.headDrop = this.addChild('head_drop', new Dropout(args.dropRate));
    // numClasses 0 builds a feature extractor (timm's Identity head).
    this.head =
      args.numClasses > 0 ? this.addChild('head', new Linear({ inFeatures: embedDim, outFeatures: args.numClasses, initStd: 0.02 }, init)) : null;
  }

  get numFeatures(): number {
    return this.args.embedDim;
  }

  override get supportsGradCheckpointing(): boolean {
    return true;
  }

  /** Patch tokens with the class token and position embeddings, before the blocks: [B, 1 + N, D]. */
  private embed(x: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const cls = tf.tile(this.clsToken, [x.shape[0], 1, 1]);
      return tf.add(tf.concat([cls, this.patchEmbed.forward(x)], 1), this.posEmbed) as tf.Tensor3D;
    });
  }

  /** Tokens after the final norm: [B, 1 + N, D]. */
  forwardFeatures(x: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      let t = this.embed(x);
      for (const block of this.blocks) t = this.forwardBlock(block, t, (v) => block.forward(v));
      return this.norm.forward(t) as tf.Tensor3D;
    });
  }

  /**
   * The tokens entering the last block, as the patch grid. The final norm's patch tokens would not do:
   * with class-token pooling the logits do not depend on them (zero gradients); the last block's
   * attention is where patch tokens feed the class token.
   */
  override camTarget(x: tf.Tensor4D): CamTarget {
    const last = this.blocks[this.blocks.length - 1];
    if (!last) return super.camTarget(x);
    const tokens = tf.tidy(() => {
      let t = this.embed(x);
      for (const block of this.blocks.slice(0, -1)) t = block.forward(t);
      return t;
    });
    const [, n, d] = tokens.shape;
    const grid = Math.round(Math.sqrt(n - 1));
    if (grid * grid !== n - 1) throw new Error(`ViT with ${n - 1} patch tokens: not a square grid`);
    return {
      activations: tokens,
      head: (t) => this.forwardHead(this.norm.forward(last.forward(t as tf.Tensor3D))),
      // Patch tokens only: the class token has no place in the image.
      toGrid: (t) => tf.reshape(tf.slice(t, [0, 1, 0], [1, n - 1, d]), [1, grid, grid, d]),
      layer: 'the patch tokens entering the last transformer block',
    };
  }

  /**
   * BEiT's (and RETFound's) layer ids: embeddings 0, block i -> i + 1, final norm and head depth + 1.
   * (timm's own matcher puts the final norm with the last block; the recipe this project follows does not.)
   */
  protected groupMatcher(): GroupMatcher {
    return { stem: /^(?:cls_token|reg_token|pos_embed|patch_embed)/, blocks: [{ pattern: /^blocks\.(\d+)\./ }] };
  }

  /** timm's no_weight_decay: the token and position embeddings. */
  override noWeightDecay(): Set<string> {
    return new Set(['pos_embed', 'cls_token', 'reg_token', 'dist_token']);
  }

  /** Position embeddings of weights trained at another size are resampled to this grid (bicubic, as timm). */
  override adaptPretrained(name: string, tensor: HostTensor): HostTensor {
    if (name !== 'pos_embed') return tensor;
    const grid = Math.floor(this.args.imgSize / this.args.patchSize);
    return resamplePosEmbed(tensor, [grid, grid], 1, { antialias: true, source: 'pos_embed' });
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor2D {
    return tf.tidy(() => {
      const [b, n, d] = features.shape;
      const pooled =
        this.args.globalPool === 'token'
          ? tf.reshape(tf.slice(features, [0, 0, 0], [b, 1, d]), [b, d])
          : tf.mean(tf.slice(features, [0, 1, 0], [b, n - 1, d]), 1);
      if (preLogits || !this.head) return pooled as tf.Tensor2D;
      return this.head.forward(this.headDrop.forward(pooled)) as tf.Tensor2D;
    });
  }
}

const VIT_DEFAULTS: Omit<VisionTransformerArgs, 'embedDim' | 'depth' | 'numHeads' | 'patchSize' | 'imgSize' | 'numClasses'> = {
  inChans: 3,
  mlpRatio: 4,
  qkvBias: true,
  initValues: null,
  globalPool: 'token',
  dropRate: 0,
  dropPathRate: 0,
  normEps: 1e-6,
};

const positive = z.number().int().positive();

/** `model.args` of a ViT (timm's VisionTransformer kwargs, camelCase). */
export const vitArgsSchema = z
  .object({
    patchSize: positive,
    inChans: positive,
    embedDim: positive,
    depth: z.number().int().nonnegative(),
    numHeads: positive,
    mlpRatio: z.number().positive(),
    qkvBias: z.boolean(),
    initValues: z.number().positive().nullable(),
    globalPool: z.enum(['token', 'avg']),
    normEps: z.number().positive(),
  })
  .partial()
  .strict();

function registerVit(
  name: string,
  arch: Partial<VisionTransformerArgs> & Pick<VisionTransformerArgs, 'embedDim' | 'depth' | 'numHeads' | 'patchSize'>,
  cfg: PretrainedCfg,
  timmParams?: { millions: number; numClasses: number },
): void {
  registerModel({
    name,
    family: 'vit',
    pretrainedCfg: cfg,
    timmParams,
    argsSchema: vitArgsSchema,
    build: (o, args, init) => {
      const a: VisionTransformerArgs = {
        ...VIT_DEFAULTS,
        ...arch,
        ...args,
        imgSize: o.imageSize,
        numClasses: o.numClasses,
        ...(o.dropRate !== undefined ? { dropRate: o.dropRate } : {}),
        ...(o.dropPathRate !== undefined ? { dropPathRate: o.dropPathRate } : {}),
      };
      if (a.embedDim % a.numHeads !== 0)
        throw new UserError(`model.args: ${name}'s embedDim ${a.embedDim} is not a multiple of numHeads ${a.numHeads}`);
      return new VisionTransformer(name, a, init);
    },
  });
}

// timm's augreg ViTs normalise with mean = std = 0.5; DINOv2 with ImageNet statistics.
const augreg = (inputSize: number): PretrainedCfg => ({ inputSize, mean: INCEPTION_MEAN, std: INCEPTION_STD, numClasses: 1000 });
const dinov2: PretrainedCfg = { inputSize: 518, mean: IMAGENET_MEAN, std: IMAGENET_STD, numClasses: 0 };

registerVit('vit_tiny_patch16_224', { patchSize: 16, embedDim: 192, depth: 12, numHeads: 3 }, augreg(224), { millions: 5.72, numClasses: 1000 });
registerVit('vit_small_patch16_224', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6 }, augreg(224), { millions: 22.05, numClasses: 1000 });
registerVit('vit_base_patch16_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12 }, augreg(224), { millions: 86.57, numClasses: 1000 });
registerVit('vit_large_patch16_224', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16 }, augreg(224), { millions: 304.33, numClasses: 1000 });
registerVit('vit_small_patch14_dinov2', { patchSize: 14, embedDim: 384, depth: 12, numHeads: 6, initValues: 1e-5 }, dinov2, {
  millions: 22.06,
  numClasses: 0,
});
registerVit('vit_base_patch14_dinov2', { patchSize: 14, embedDim: 768, depth: 12, numHeads: 12, initValues: 1e-5 }, dinov2, {
  millions: 86.58,
  numClasses: 0,
});
registerVit('vit_large_patch14_dinov2', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, initValues: 1e-5 }, dinov2, {
  millions: 304.37,
  numClasses: 0,
});
// A small ViT for demos and tests: timm's test_vit (same names and shapes). It keeps ImageNet statistics
// (timm's r160_in1k weights use 0.5): no pretrained test_vit is loaded here, and configs rely on them.
registerVit(
  'test_vit',
  { patchSize: 16, embedDim: 64, depth: 6, numHeads: 2, mlpRatio: 3 },
  { inputSize: 160, mean: IMAGENET_MEAN, std: IMAGENET_STD, numClasses: 1000 },
  { millions: 0.37, numClasses: 1000 },
);
