import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';
import { Initializer } from './init';

/**
 * Patch embedding as one matrix product over flattened patches: the same function as a
 * stride-`patch` convolution, but it trains far faster on wasm (no conv filter gradient).
 * Weight layout is the conv's [kh, kw, in, out], so timm's proj.weight maps directly.
 */
export class PatchEmbed extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    readonly patchSize: number,
    readonly inChans: number,
    readonly embedDim: number,
    init: Initializer,
  ) {
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
      const patches = tf.reshape(tf.transpose(tf.reshape(cropped, [b * gh, p, gw, p * c]), [0, 2, 1, 3]), [b * gh * gw, p * p * c]);
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
