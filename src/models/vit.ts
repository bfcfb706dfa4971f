import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel, IMAGENET_MEAN, IMAGENET_STD, INCEPTION_MEAN, INCEPTION_STD, PretrainedCfg } from './classifier';
import { Module } from './layers/module';
import { Initializer } from './layers/init';
import { Linear } from './layers/linear';
import { LayerNorm } from './layers/norm';
import { Dropout, DropPath } from './layers/dropout';
import { gelu } from './layers/activations';
import { registerModel } from './registry';
import { resamplePosEmbed } from './interpolate';
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

/**
 * Patch embedding as one matrix product over flattened patches: the same function as a
 * stride-`patch` convolution, but it trains far faster on wasm (no conv filter gradient).
 * Weight layout is the conv's [kh, kw, in, out], so timm's proj.weight maps directly.
 */
export class PatchEmbed extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(readonly patchSize: number, readonly inChans: number, readonly embedDim: number, init: Initializer) {
    super();
    // timm's ViT init leaves the patch projection at PyTorch's conv default (lecun-uniform-like).
    const fanIn = patchSize * patchSize * inChans;
    // Children are named like timm's: patch_embed.proj.{weight,bias}.
    const proj = this.addChild('proj', new PatchProjection(patchSize, inChans, embedDim, fanIn, init));
    this.weight = proj.weight;
    this.bias = proj.bias;
  }

  /** [B, H, W, C] -> [B, (H/p)·(W/p), D] */
  forward(x: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, h, w, c] = x.shape;
      const p = this.patchSize;
      const gh = Math.floor(h / p);
      const gw = Math.floor(w / p);
      const cropped = gh * p === h && gw * p === w ? x : tf.slice(x, [0, 0, 0, 0], [b, gh * p, gw * p, c]);
      const patches = tf.reshape(
        tf.transpose(tf.reshape(cropped, [b * gh, p, gw, p * c]), [0, 2, 1, 3]),
        [b * gh * gw, p * p * c],
      );
      const y = tf.add(tf.matMul(patches as tf.Tensor2D, tf.reshape(this.weight, [p * p * c, this.embedDim]) as tf.Tensor2D), this.bias);
      return tf.reshape(y, [b, gh * gw, this.embedDim]) as tf.Tensor3D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { patchSize: this.patchSize, inChans: this.inChans, embedDim: this.embedDim };
  }
}

class PatchProjection extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(p: number, inChans: number, embedDim: number, fanIn: number, init: Initializer) {
    super();
    this.weight = this.addParam('weight', init.uniform([p, p, inChans, embedDim], 1 / Math.sqrt(fanIn)), 'conv2d');
    this.bias = this.addParam('bias', init.uniform([embedDim], 1 / Math.sqrt(fanIn)));
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}

export class Attention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly headDim: number;

  constructor(readonly dim: number, readonly numHeads: number, qkvBias: boolean, init: Initializer) {
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
      const attn = tf.softmax(tf.matMul(tf.mul(q, 1 / Math.sqrt(hd)), k, false, true));
      const out = tf.matMul(attn, v);
      const merged = tf.reshape(tf.transpose(tf.reshape(out, [b, h, n, hd]), [0, 2, 1, 3]), [b, n, dim]);
      return this.proj.forward(merged) as tf.Tensor3D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { dim: this.dim, numHeads: this.numHeads };
  }
}

export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(inFeatures: number, hidden: number, init: Initializer) {
    super();
    this.fc1 = this.addChild('fc1', new Linear({ inFeatures, outFeatures: hidden, initStd: 0.02 }, init));
    this.fc2 = this.addChild('fc2', new Linear({ inFeatures: hidden, outFeatures: inFeatures, initStd: 0.02 }, init));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(gelu(this.fc1.forward(x))));
  }
  getConfig(): Record<string, unknown> {
    return { inFeatures: this.fc1.args.inFeatures, hidden: this.fc1.args.outFeatures };
  }
}

/** Per-channel learned scale of a residual branch (CaiT / DINOv2), named `gamma` as in timm. */
export class LayerScale extends Module {
  readonly gamma: tf.Variable;
  constructor(dim: number, initValue: number) {
    super();
    this.gamma = this.addParam('gamma', tf.fill([dim], initValue));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.gamma);
  }
  getConfig(): Record<string, unknown> {
    return { dim: this.gamma.shape[0] };
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

  constructor(dim: number, numHeads: number, mlpRatio: number, qkvBias: boolean, initValues: number | null, dropPath: number, eps: number, init: Initializer) {
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
      this.blocks.push(blocks.add(String(i), new Block(embedDim, args.numHeads, args.mlpRatio, args.qkvBias, args.initValues, dp, args.normEps, init)));
    }
    this.norm = this.addChild('norm', new LayerNorm({ normalizedShape: embedDim, eps: args.normEps }));
    this.headDrop = this.addChild('head_drop', new Dropout(args.dropRate));
    // numClasses 0 builds a feature extractor (timm's Identity head).
    this.head = args.numClasses > 0 ? this.addChild('head', new Linear({ inFeatures: embedDim, outFeatures: args.numClasses, initStd: 0.02 }, init)) : null;
  }

  get numFeatures(): number {
    return this.args.embedDim;
  }

  /** Tokens after the final norm: [B, 1 + N, D]. */
  forwardFeatures(x: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const b = x.shape[0];
      const patches = this.patchEmbed.forward(x);
      const cls = tf.tile(this.clsToken, [b, 1, 1]);
      let t = tf.add(tf.concat([cls, patches], 1), this.posEmbed) as tf.Tensor3D;
      for (const block of this.blocks) t = block.forward(t);
      return this.norm.forward(t) as tf.Tensor3D;
    });
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

/** A numbered list of children (timm's nn.Sequential): names "0", "1", ... */
export class Sequence extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.addChild(name, m);
  }
  getConfig(): Record<string, unknown> {
    return {};
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
    build: (o, init) =>
      new VisionTransformer(
        name,
        {
          ...VIT_DEFAULTS,
          ...arch,
          imgSize: o.imageSize,
          numClasses: o.numClasses,
          ...(o.dropRate !== undefined ? { dropRate: o.dropRate } : {}),
          ...(o.dropPathRate !== undefined ? { dropPathRate: o.dropPathRate } : {}),
          ...(o.args as Partial<VisionTransformerArgs> | undefined),
        },
        init,
      ),
  });
}

// timm's augreg ViTs normalise with mean = std = 0.5; DINOv2 with ImageNet statistics.
const augreg = (inputSize: number): PretrainedCfg => ({ inputSize, mean: INCEPTION_MEAN, std: INCEPTION_STD, numClasses: 1000 });
const dinov2: PretrainedCfg = { inputSize: 518, mean: IMAGENET_MEAN, std: IMAGENET_STD, numClasses: 0 };

registerVit('vit_tiny_patch16_224', { patchSize: 16, embedDim: 192, depth: 12, numHeads: 3 }, augreg(224), { millions: 5.72, numClasses: 1000 });
registerVit('vit_small_patch16_224', { patchSize: 16, embedDim: 384, depth: 12, numHeads: 6 }, augreg(224), { millions: 22.05, numClasses: 1000 });
registerVit('vit_base_patch16_224', { patchSize: 16, embedDim: 768, depth: 12, numHeads: 12 }, augreg(224), { millions: 86.57, numClasses: 1000 });
registerVit('vit_large_patch16_224', { patchSize: 16, embedDim: 1024, depth: 24, numHeads: 16 }, augreg(224), { millions: 304.33, numClasses: 1000 });
registerVit('vit_small_patch14_dinov2', { patchSize: 14, embedDim: 384, depth: 12, numHeads: 6, initValues: 1e-5 }, dinov2, { millions: 22.06, numClasses: 0 });
registerVit('vit_base_patch14_dinov2', { patchSize: 14, embedDim: 768, depth: 12, numHeads: 12, initValues: 1e-5 }, dinov2, { millions: 86.58, numClasses: 0 });
registerVit('vit_large_patch14_dinov2', { patchSize: 14, embedDim: 1024, depth: 24, numHeads: 16, initValues: 1e-5 }, dinov2, { millions: 304.37, numClasses: 0 });
// A small ViT for demos and tests (as timm's test_vit).
registerVit('test_vit', { patchSize: 16, embedDim: 64, depth: 6, numHeads: 2, mlpRatio: 3 }, { inputSize: 160, mean: IMAGENET_MEAN, std: IMAGENET_STD, numClasses: 1000 });
