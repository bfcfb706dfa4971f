import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ClassifierModel, IMAGENET_MEAN, IMAGENET_STD, PretrainedCfg } from './classifier';
import { Module } from './layers/module';
import { Initializer } from './layers/init';
import { Linear } from './layers/linear';
import { LayerNorm } from './layers/norm';
import { DropPath } from './layers/dropout';
import { ClassifierHead } from './layers/classifier-head';
import { softmax } from './layers/activations';
import { Mlp } from './layers/mlp';
import { PatchEmbed } from './layers/patch-embed';
import { Sequence } from './layers/sequence';
import { GroupMatcher, MATCH_PREV_GROUP } from './layer-groups';
import { registerModel } from './registry';

export interface SwinTransformerV2Args {
  numClasses: number;
  imgSize: number;
  patchSize: number;
  inChans: number;
  embedDim: number;
  /** Blocks per stage. */
  depths: number[];
  /** Attention heads per stage. */
  numHeads: number[];
  windowSize: number;
  mlpRatio: number;
  /** Window size of each stage's pretraining (0: this model's own), which scales the relative coordinates. */
  pretrainedWindowSizes: number[];
  dropRate: number;
  dropPathRate: number;
}

/** Largest logit scale of the cosine attention: exp(scale) is clamped at 1/0.01. */
const MAX_LOGIT_SCALE = Math.log(100);
/** Added to attention logits between tokens that a cyclic shift made neighbours but are not. */
const MASKED = -100;

/**
 * Log-spaced relative coordinates of every (Δh, Δw) within a window, the input of the continuous position
 * bias MLP: row-major [(2w-1)², 2] over Δh, Δw in -(w-1)..w-1, each normalised by the (pretraining) window
 * size - 1, scaled to ±8 and mapped through sign(x)·log2(1 + |x|) / log2(8).
 */
export function relativeCoordsTable(windowSize: number, pretrainedWindowSize = 0): Float32Array {
  const span = 2 * windowSize - 1;
  const denom = (pretrainedWindowSize > 0 ? pretrainedWindowSize : windowSize) - 1;
  const out = new Float32Array(span * span * 2);
  const squash = (d: number) => {
    // A 1×1 window has only Δ = 0 (timm divides 0 by 0 there; 0 is the limit).
    const v = denom > 0 ? (d / denom) * 8 : 0;
    return (Math.sign(v) * Math.log2(Math.abs(v) + 1)) / 3;
  };
  let i = 0;
  for (let dh = -(windowSize - 1); dh < windowSize; dh++) {
    for (let dw = -(windowSize - 1); dw < windowSize; dw++) {
      out[i++] = squash(dh);
      out[i++] = squash(dw);
    }
  }
  return out;
}

/** For each ordered token pair (i, j) of a window (row-major tokens), the row of relativeCoordsTable for i − j. */
export function relativePositionIndex(windowSize: number): Int32Array {
  const n = windowSize * windowSize;
  const span = 2 * windowSize - 1;
  const out = new Int32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dh = Math.floor(i / windowSize) - Math.floor(j / windowSize);
      const dw = (i % windowSize) - (j % windowSize);
      out[i * n + j] = (dh + windowSize - 1) * span + (dw + windowSize - 1);
    }
  }
  return out;
}

/**
 * The shifted-window attention mask of an h×w map: [numWindows, N·N] with 0 between tokens of the same
 * region before the cyclic shift and MASKED between tokens the shift brought together from different regions.
 */
export function shiftedWindowMask(h: number, w: number, windowSize: number, shift: number): Float32Array {
  const region = (p: number, size: number) => (p < size - windowSize ? 0 : p < size - shift ? 1 : 2);
  const nh = h / windowSize;
  const nw = w / windowSize;
  const n = windowSize * windowSize;
  const out = new Float32Array(nh * nw * n * n);
  const labels = new Int32Array(n);
  for (let wi = 0; wi < nh; wi++) {
    for (let wj = 0; wj < nw; wj++) {
      for (let t = 0; t < n; t++) {
        labels[t] = 3 * region(wi * windowSize + Math.floor(t / windowSize), h) + region(wj * windowSize + (t % windowSize), w);
      }
      const base = (wi * nw + wj) * n * n;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[base + i * n + j] = labels[i] === labels[j] ? 0 : MASKED;
    }
  }
  return out;
}

/**
 * Constant tensors (relative-position tables, shift masks) that blocks of the same geometry share; owned by
 * the model and freed with it. They are computed, not loaded: timm does not save them either.
 */
class SwinConstants {
  private readonly tensors = new Map<string, tf.Tensor>();

  get(key: string, make: () => tf.Tensor): tf.Tensor {
    let t = this.tensors.get(key);
    if (!t) {
      t = tf.keep(make());
      this.tensors.set(key, t);
    }
    return t;
  }

  coordsTable(windowSize: number, pretrainedWindowSize: number): tf.Tensor2D {
    return this.get(`coords:${windowSize}:${pretrainedWindowSize}`, () =>
      tf.tensor2d(relativeCoordsTable(windowSize, pretrainedWindowSize), [(2 * windowSize - 1) ** 2, 2]),
    ) as tf.Tensor2D;
  }

  positionIndex(windowSize: number): tf.Tensor1D {
    return this.get(`index:${windowSize}`, () => tf.tensor1d(relativePositionIndex(windowSize), 'int32')) as tf.Tensor1D;
  }

  /** [1, numWindows, 1, N·N], to add to logits laid out [B, numWindows, heads, N·N]. */
  mask(h: number, w: number, windowSize: number, shift: number): tf.Tensor4D {
    const n = windowSize * windowSize;
    return this.get(`mask:${h}:${w}:${windowSize}:${shift}`, () =>
      tf.tensor4d(shiftedWindowMask(h, w, windowSize, shift), [1, (h / windowSize) * (w / windowSize), 1, n * n]),
    ) as tf.Tensor4D;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

/** Patch projection (as ViT's: a stride-p conv computed as one matrix product) followed by a layer norm. */
export class SwinPatchEmbed extends PatchEmbed {
  readonly norm: LayerNorm;
  constructor(patchSize: number, inChans: number, embedDim: number, init: Initializer) {
    super(patchSize, inChans, embedDim, init);
    this.norm = this.addChild('norm', new LayerNorm({ normalizedShape: embedDim }));
  }
  /** [B, H, W, 3] -> [B, H/p, W/p, D] */
  forwardMap(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [b, h, w] = x.shape;
      const tokens = this.norm.forward(this.forward(x));
      return tf.reshape(tokens, [b, Math.floor(h / this.patchSize), Math.floor(w / this.patchSize), this.embedDim]) as tf.Tensor4D;
    });
  }
}

/** Two-layer MLP from relative coordinates to one bias per head (timm's cpb_mlp: Linear, ReLU, Linear). */
class ContinuousPositionBiasMlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(numHeads: number, init: Initializer) {
    super();
    // Indices 0 and 2 as in timm's nn.Sequential (1 is the ReLU).
    this.fc1 = this.addChild('0', new Linear({ inFeatures: 2, outFeatures: 512, initStd: 0.02 }, init));
    this.fc2 = this.addChild('2', new Linear({ inFeatures: 512, outFeatures: numHeads, bias: false, initStd: 0.02 }, init));
  }
  forward(coords: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.fc2.forward(tf.relu(this.fc1.forward(coords))) as tf.Tensor2D);
  }
  getConfig(): Record<string, unknown> {
    return { numHeads: this.fc2.args.outFeatures };
  }
}

/**
 * Multi-head self-attention within windows, Swin V2 style: cosine similarity scaled by a learned, clamped
 * per-head temperature, plus 16·sigmoid of a position bias that an MLP computes from log-spaced relative
 * coordinates. q and v have biases, k has none.
 */
export class WindowAttention extends Module {
  readonly logitScale: tf.Variable;
  readonly qBias: tf.Variable;
  readonly vBias: tf.Variable;
  readonly cpbMlp: ContinuousPositionBiasMlp;
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly headDim: number;

  constructor(
    readonly dim: number,
    readonly numHeads: number,
    readonly windowSize: number,
    readonly pretrainedWindowSize: number,
    private readonly constants: SwinConstants,
    init: Initializer,
  ) {
    super();
    this.headDim = dim / numHeads;
    this.logitScale = this.addParam('logit_scale', tf.fill([numHeads, 1, 1], Math.log(10)));
    this.qBias = this.addParam('q_bias', tf.zeros([dim]));
    this.vBias = this.addParam('v_bias', tf.zeros([dim]));
    this.cpbMlp = this.addChild('cpb_mlp', new ContinuousPositionBiasMlp(numHeads, init));
    this.qkv = this.addChild('qkv', new Linear({ inFeatures: dim, outFeatures: 3 * dim, bias: false, initStd: 0.02 }, init));
    this.proj = this.addChild('proj', new Linear({ inFeatures: dim, outFeatures: dim, initStd: 0.02 }, init));
  }

  /** Creates the shared coordinate table and index of this window size (else made on first use). */
  buildConstants(): void {
    this.constants.coordsTable(this.windowSize, this.pretrainedWindowSize);
    this.constants.positionIndex(this.windowSize);
  }

  /** [heads, N, N]: 16·sigmoid of the MLP's bias table spread over token pairs. */
  positionBias(): tf.Tensor3D {
    return tf.tidy(() => {
      const n = this.windowSize * this.windowSize;
      const table = this.cpbMlp.forward(this.constants.coordsTable(this.windowSize, this.pretrainedWindowSize));
      const pairs = tf.gather(table, this.constants.positionIndex(this.windowSize)); // [N·N, heads]
      return tf.mul(tf.sigmoid(tf.reshape(tf.transpose(pairs, [1, 0]), [this.numHeads, n, n])), 16) as tf.Tensor3D;
    });
  }

  /**
   * @param windows [B·numWindows, N, C] tokens of each window
   * @param mask [1, numWindows, 1, N·N] shift mask, or null
   */
  forward(windows: tf.Tensor3D, mask: tf.Tensor4D | null): tf.Tensor3D {
    return tf.tidy(() => {
      const [bw, n, c] = windows.shape;
      const { numHeads: h, headDim: hd } = this;
      const bias = tf.concat([this.qBias, tf.zeros([c]), this.vBias]);
      const qkv = tf.add(tf.matMul(tf.reshape(windows, [bw * n, c]) as tf.Tensor2D, this.qkv.weight as tf.Tensor2D), bias);
      const heads = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [bw, n, h, hd]), [0, 2, 1, 3]), [bw * h, n, hd]) as tf.Tensor3D;
      const [q, k, v] = tf.split(qkv, 3, 1).map(heads);
      // F.normalize: x / max(‖x‖, 1e-12).
      const unit = (t: tf.Tensor3D) => tf.div(t, tf.maximum(tf.sqrt(tf.sum(tf.square(t), -1, true)), 1e-12)) as tf.Tensor3D;
      const cosine = tf.reshape(tf.matMul(unit(q), unit(k), false, true), [bw, h, n, n]);
      const scale = tf.exp(tf.minimum(this.logitScale, MAX_LOGIT_SCALE));
      let logits: tf.Tensor = tf.add(tf.mul(cosine, scale), this.positionBias());
      if (mask) {
        const numWindows = mask.shape[1];
        logits = tf.add(tf.reshape(logits, [bw / numWindows, numWindows, h, n * n]), mask);
      }
      const attn = softmax(tf.reshape(logits, [bw * h, n, n]));
      const out = tf.reshape(tf.transpose(tf.reshape(tf.matMul(attn, v), [bw, h, n, hd]), [0, 2, 1, 3]), [bw, n, c]);
      return this.proj.forward(out) as tf.Tensor3D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { dim: this.dim, numHeads: this.numHeads, windowSize: this.windowSize, pretrainedWindowSize: this.pretrainedWindowSize };
  }
}

/** Cyclic shift of a [B, H, W, C] map by (dh, dw) along H and W (torch.roll). */
function roll(x: tf.Tensor4D, dh: number, dw: number): tf.Tensor4D {
  return tf.tidy(() => {
    const along = (t: tf.Tensor4D, axis: 1 | 2, shift: number): tf.Tensor4D => {
      const size = t.shape[axis];
      const s = ((shift % size) + size) % size;
      if (s === 0) return t;
      const [head, tail] = tf.split(t, [size - s, s], axis);
      return tf.concat([tail, head], axis) as tf.Tensor4D;
    };
    return along(along(x, 1, dh), 2, dw);
  });
}

/** [B, H, W, C] -> [B·(H/w)·(W/w), w·w, C], windows row-major, tokens row-major within each. */
function windowPartition(x: tf.Tensor4D, w: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, wd, c] = x.shape;
    // Keep the transpose 4-D: [B·H/w, w, W/w, w·C] -> [B·H/w, W/w, w, w·C].
    const t = tf.transpose(tf.reshape(x, [b * (h / w), w, wd / w, w * c]), [0, 2, 1, 3]);
    return tf.reshape(t, [b * (h / w) * (wd / w), w * w, c]) as tf.Tensor3D;
  });
}

/** Inverse of windowPartition. */
function windowReverse(windows: tf.Tensor3D, w: number, b: number, h: number, wd: number): tf.Tensor4D {
  return tf.tidy(() => {
    const c = windows.shape[2];
    const t = tf.transpose(tf.reshape(windows, [b * (h / w), wd / w, w, w * c]), [0, 2, 1, 3]);
    return tf.reshape(t, [b, h, wd, c]) as tf.Tensor4D;
  });
}

/**
 * Swin V2 block: (shifted) window attention and an MLP, each with res-post-norm
 * (x + drop_path(norm(f(x))), the V2 change that keeps activations bounded in deep models).
 */
export class SwinTransformerV2Block extends Module {
  readonly attn: WindowAttention;
  readonly norm1: LayerNorm;
  readonly dropPath1: DropPath;
  readonly mlp: Mlp;
  readonly norm2: LayerNorm;
  readonly dropPath2: DropPath;
  /** Window size after clamping to the feature map (timm: a map no larger than the window is one window). */
  readonly windowSize: number;
  readonly shiftSize: number;

  constructor(
    readonly dim: number,
    inputResolution: number,
    numHeads: number,
    windowSize: number,
    shifted: boolean,
    mlpRatio: number,
    dropPath: number,
    pretrainedWindowSize: number,
    private readonly constants: SwinConstants,
    init: Initializer,
  ) {
    super();
    this.windowSize = Math.min(windowSize, inputResolution);
    this.shiftSize = shifted && inputResolution > this.windowSize ? Math.floor(windowSize / 2) : 0;
    this.attn = this.addChild('attn', new WindowAttention(dim, numHeads, this.windowSize, pretrainedWindowSize, constants, init));
    this.norm1 = this.addChild('norm1', new LayerNorm({ normalizedShape: dim }));
    this.dropPath1 = this.addChild('drop_path1', new DropPath(dropPath));
    this.mlp = this.addChild('mlp', new Mlp(dim, Math.floor(dim * mlpRatio), init));
    this.norm2 = this.addChild('norm2', new LayerNorm({ normalizedShape: dim }));
    this.dropPath2 = this.addChild('drop_path2', new DropPath(dropPath));
    // timm initialises the post-norms at zero, so every block starts as the identity.
    tf.tidy(() => {
      for (const norm of [this.norm1, this.norm2]) {
        norm.weight.assign(tf.zerosLike(norm.weight));
        norm.bias.assign(tf.zerosLike(norm.bias));
      }
    });
  }

  /** The mask this block needs for a padded map of hp×wp (null without a shift); built once per size. */
  maskFor(hp: number, wp: number): tf.Tensor4D | null {
    return this.shiftSize > 0 ? this.constants.mask(hp, wp, this.windowSize, this.shiftSize) : null;
  }

  private windowAttention(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [b, h, w] = x.shape;
      const ws = this.windowSize;
      const s = this.shiftSize;
      let y = s > 0 ? roll(x, -s, -s) : x;
      const padH = (ws - (h % ws)) % ws;
      const padW = (ws - (w % ws)) % ws;
      if (padH || padW)
        y = tf.pad(y, [
          [0, 0],
          [0, padH],
          [0, padW],
          [0, 0],
        ]);
      const hp = h + padH;
      const wp = w + padW;
      const out = this.attn.forward(windowPartition(y, ws), this.maskFor(hp, wp));
      let merged = windowReverse(out, ws, b, hp, wp);
      if (padH || padW) merged = tf.slice(merged, [0, 0, 0, 0], [b, h, w, -1]);
      return s > 0 ? roll(merged, s, s) : merged;
    });
  }

  /** [B, H, W, C] -> [B, H, W, C] */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = tf.add(x, this.dropPath1.forward(this.norm1.forward(this.windowAttention(x))));
      return tf.add(y, this.dropPath2.forward(this.norm2.forward(this.mlp.forward(y)))) as tf.Tensor4D;
    });
  }

  getConfig(): Record<string, unknown> {
    return { dim: this.dim, windowSize: this.windowSize, shiftSize: this.shiftSize, dropPath: this.dropPath1.rate };
  }
}

/** 2×2 neighbourhoods concatenated (timm's channel order) and projected to outDim, then normalised (V2: reduce, then norm). */
export class PatchMerging extends Module {
  readonly reduction: Linear;
  readonly norm: LayerNorm;
  constructor(
    readonly dim: number,
    readonly outDim: number,
    init: Initializer,
  ) {
    super();
    this.reduction = this.addChild('reduction', new Linear({ inFeatures: 4 * dim, outFeatures: outDim, bias: false, initStd: 0.02 }, init));
    this.norm = this.addChild('norm', new LayerNorm({ normalizedShape: outDim }));
  }
  /** [B, H, W, C] -> [B, ⌈H/2⌉, ⌈W/2⌉, outDim] */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [b, h0, w0, c] = x.shape;
      const padded =
        h0 % 2 || w0 % 2
          ? tf.pad(x, [
              [0, 0],
              [0, h0 % 2],
              [0, w0 % 2],
              [0, 0],
            ])
          : x;
      const h = h0 + (h0 % 2);
      const w = w0 + (w0 % 2);
      // [B·H/2, dh, W/2, dw, C] -> [B·H/2, W/2, dw, dh, C]: features ordered (dw, dh, c) as timm's reshape-permute.
      const grouped = tf.transpose(tf.reshape(padded, [b * (h / 2), 2, w / 2, 2, c]), [0, 2, 3, 1, 4]);
      const merged = tf.reshape(grouped, [b, h / 2, w / 2, 4 * c]);
      return this.norm.forward(this.reduction.forward(merged)) as tf.Tensor4D;
    });
  }
  getConfig(): Record<string, unknown> {
    return { dim: this.dim, outDim: this.outDim };
  }
}

/** How a stage runs each of its blocks: (block, input, the block's forward) -> output. */
export type BlockRunner = (block: Module, x: tf.Tensor4D, forward: (x: tf.Tensor4D) => tf.Tensor4D) => tf.Tensor4D;

/** One resolution: an optional patch merging at the start (timm's layout), then the blocks, alternately shifted. */
export class SwinTransformerV2Stage extends Module {
  readonly downsample: PatchMerging | null;
  readonly blocks: SwinTransformerV2Block[] = [];
  constructor(
    dim: number,
    outDim: number,
    inputResolution: number,
    depth: number,
    numHeads: number,
    windowSize: number,
    mlpRatio: number,
    dropPaths: number[],
    pretrainedWindowSize: number,
    downsample: boolean,
    constants: SwinConstants,
    init: Initializer,
  ) {
    super();
    this.downsample = downsample ? this.addChild('downsample', new PatchMerging(dim, outDim, init)) : null;
    const resolution = downsample ? Math.floor(inputResolution / 2) : inputResolution;
    const blocks = this.addChild('blocks', new Sequence());
    for (let i = 0; i < depth; i++) {
      this.blocks.push(
        blocks.add(
          String(i),
          new SwinTransformerV2Block(
            outDim,
            resolution,
            numHeads,
            windowSize,
            i % 2 === 1,
            mlpRatio,
            dropPaths[i],
            pretrainedWindowSize,
            constants,
            init,
          ),
        ),
      );
    }
  }
  /** @param run runs one block (the model's forwardBlock, which may checkpoint it); default: directly */
  forward(x: tf.Tensor4D, run: BlockRunner = (_block, t, f) => f(t)): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.downsample ? this.downsample.forward(x) : x;
      for (const block of this.blocks) y = run(block, y, (v) => block.forward(v));
      return y;
    });
  }
  getConfig(): Record<string, unknown> {
    return { depth: this.blocks.length, downsample: this.downsample !== null };
  }
}

/** Swin Transformer V2 (Liu et al. 2022) with timm's parameter names. */
export class SwinTransformerV2 extends ClassifierModel<SwinTransformerV2Args> {
  readonly patchEmbed: SwinPatchEmbed;
  readonly stages: SwinTransformerV2Stage[] = [];
  readonly norm: LayerNorm;
  readonly head: ClassifierHead | null;
  readonly classifierName = 'head.fc';
  readonly numFeatures: number;
  private readonly constants = new SwinConstants();

  constructor(modelName: string, args: SwinTransformerV2Args, init: Initializer) {
    super(modelName, args);
    const stages = args.depths.length;
    if (args.numHeads.length !== stages || args.pretrainedWindowSizes.length !== stages) {
      throw new Error(`Swin V2 needs depths, numHeads and pretrainedWindowSizes of equal length: ${JSON.stringify(args)}`);
    }
    this.patchEmbed = this.addChild('patch_embed', new SwinPatchEmbed(args.patchSize, args.inChans, args.embedDim, init));
    const total = args.depths.reduce((n, d) => n + d, 0);
    // Stochastic depth grows linearly over all blocks (torch.linspace(0, rate, total)).
    const rates = Array.from({ length: total }, (_, i) => (total > 1 ? (args.dropPathRate * i) / (total - 1) : 0));
    const layers = this.addChild('layers', new Sequence());
    let resolution = Math.floor(args.imgSize / args.patchSize);
    let dim = args.embedDim;
    let offset = 0;
    for (let i = 0; i < stages; i++) {
      const outDim = args.embedDim * 2 ** i;
      const stage = new SwinTransformerV2Stage(
        dim,
        outDim,
        resolution,
        args.depths[i],
        args.numHeads[i],
        args.windowSize,
        args.mlpRatio,
        rates.slice(offset, offset + args.depths[i]),
        args.pretrainedWindowSizes[i],
        i > 0,
        this.constants,
        init,
      );
      this.stages.push(layers.add(String(i), stage));
      if (i > 0) resolution = Math.floor(resolution / 2);
      dim = outDim;
      offset += args.depths[i];
    }
    this.numFeatures = dim;
    this.norm = this.addChild('norm', new LayerNorm({ normalizedShape: dim }));
    this.head = args.numClasses > 0 ? this.addChild('head', new ClassifierHead(dim, args.numClasses, args.dropRate, init)) : null;
    // Build the native size's constants now, so that a forward pass allocates nothing that outlives it.
    resolution = Math.floor(args.imgSize / args.patchSize);
    this.stages.forEach((stage, i) => {
      if (i > 0) resolution = Math.floor(resolution / 2);
      for (const block of stage.blocks) {
        const pad = (block.windowSize - (resolution % block.windowSize)) % block.windowSize;
        block.maskFor(resolution + pad, resolution + pad);
        block.attn.buildConstants();
      }
    });
  }

  /** Normalised feature map of the last stage: [B, H/32, W/32, numFeatures]. */
  forwardFeatures(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.patchEmbed.forwardMap(x);
      for (const stage of this.stages) y = stage.forward(y, (block, t, f) => this.forwardBlock(block, t, f));
      return this.norm.forward(y) as tf.Tensor4D;
    });
  }

  override get supportsGradCheckpointing(): boolean {
    return true;
  }

  forwardHead(features: tf.Tensor, preLogits = false): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = tf.mean(features, [1, 2]) as tf.Tensor2D;
      if (preLogits || !this.head) return pooled;
      return this.head.forward(pooled);
    });
  }

  /** timm's: the patch embedding 0; each block its own layer, a stage's patch merging with its first block; the final norm with the last block. */
  protected groupMatcher(): GroupMatcher {
    return {
      stem: /^(?:absolute_pos_embed|patch_embed)/,
      blocks: [
        { pattern: /^layers\.(\d+)\.downsample/, suffix: [0] },
        { pattern: /^layers\.(\d+)\.\w+\.(\d+)/ },
        { pattern: /^norm/, suffix: [MATCH_PREV_GROUP] },
      ],
    };
  }

  /** timm's no_weight_decay: the attention temperatures and the position-bias MLPs. */
  override noWeightDecay(): Set<string> {
    return new Set(this.parameterNames().filter((n) => /(^|\.)(cpb_mlp|logit_scale)(\.|$)/.test(n)));
  }

  override dispose(): void {
    super.dispose();
    this.constants.dispose();
  }
}

const positiveInts = z.array(z.number().int().positive()).min(1);

/** `model.args` of a Swin Transformer V2. */
export const swinV2ArgsSchema = z
  .object({
    patchSize: z.number().int().positive(),
    inChans: z.number().int().positive(),
    embedDim: z.number().int().positive(),
    depths: positiveInts,
    numHeads: positiveInts,
    windowSize: z.number().int().positive(),
    mlpRatio: z.number().positive(),
    pretrainedWindowSizes: z.array(z.number().int().nonnegative()).min(1),
  })
  .partial()
  .strict();

function registerSwinV2(
  name: string,
  arch: Pick<SwinTransformerV2Args, 'embedDim' | 'depths' | 'numHeads' | 'windowSize'> & Partial<SwinTransformerV2Args>,
  cfg: PretrainedCfg,
  millions: number,
): void {
  registerModel({
    name,
    family: 'swinv2',
    pretrainedCfg: cfg,
    timmParams: { millions, numClasses: 1000 },
    argsSchema: swinV2ArgsSchema,
    build: (o, args, init) =>
      new SwinTransformerV2(
        name,
        {
          patchSize: 4,
          inChans: 3,
          mlpRatio: 4,
          ...arch,
          ...args,
          pretrainedWindowSizes: args.pretrainedWindowSizes ?? arch.pretrainedWindowSizes ?? (args.depths ?? arch.depths).map(() => 0),
          numClasses: o.numClasses,
          imgSize: o.imageSize,
          dropRate: o.dropRate ?? 0,
          // timm's SwinTransformerV2 default stochastic depth.
          dropPathRate: o.dropPathRate ?? 0.1,
        },
        init,
      ),
  });
}

registerSwinV2(
  'swinv2_tiny_window8_256',
  { embedDim: 96, depths: [2, 2, 6, 2], numHeads: [3, 6, 12, 24], windowSize: 8 },
  { inputSize: 256, mean: IMAGENET_MEAN, std: IMAGENET_STD, numClasses: 1000 },
  28.35,
);
