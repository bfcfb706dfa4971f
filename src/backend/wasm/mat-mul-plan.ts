import * as tf from '@tensorflow/tfjs-core';

/**
 * Why wasm matrix products are rewritten: the shipped BatchMatMul hands a product to XNNPACK only when
 * it is a single untransposed 2-D product (about 30 GFLOP/s here); with transposeA/transposeB or a batch
 * dimension it runs a plain blocked loop (about 2.5 GFLOP/s). Backward passes are made of exactly those
 * products. Transposing explicitly (memory-bound, cheap) and splitting a batch into 2-D products brings
 * them back onto XNNPACK.
 */
export interface MatMulShape {
  /** product of the leading (batch) dimensions of a and of b */
  batchA: number;
  batchB: number;
  /** the product is [m, k] · [k, n] per batch after the transposes */
  m: number;
  k: number;
  n: number;
  outShape: number[];
}

/** Shapes of a (batched) product, or null when it is not one this rewrite handles (mismatch, mixed broadcast). */
export function matMulShape(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): MatMulShape | null {
  if (aShape.length < 2 || bShape.length < 2) return null;
  const ra = aShape.length;
  const rb = bShape.length;
  const m = transposeA ? aShape[ra - 1] : aShape[ra - 2];
  const k = transposeA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transposeB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transposeB ? bShape[rb - 2] : bShape[rb - 1];
  if (k !== kb) return null;
  const batchA = tf.util.sizeFromShape(aShape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(bShape.slice(0, -2));
  // Batches pair one to one, or one side is shared by all; other broadcasts stay with the shipped kernel.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  let batchDims: number[];
  try {
    batchDims = tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  } catch {
    return null;
  }
  if (tf.util.sizeFromShape(batchDims) !== Math.max(batchA, batchB)) return null;
  return { batchA, batchB, m, k, n, outShape: [...batchDims, m, n] };
}

/**
 * Below this many multiply-adds per 2-D product, the extra transposes, copies and XNNPACK operator set-up
 * cost more than the slow loop loses. Measured here (32 products with transposeB): 16³ 0.78× as fast,
 * 24³ 1.1×, 32³ 1.5×, 48³ 2.6×; single 2-D products: 32³ 0.8×, 64³ 3.9×.
 */
export const MIN_REWRITE_MACS = 16 * 1024;

/** Whether rewriting this product is worth it (false for what the shipped kernel already does fast). */
export function rewritePays(s: MatMulShape, transposeA: boolean, transposeB: boolean): boolean {
  const alreadyFast = !transposeA && !transposeB && s.batchA === 1 && s.batchB === 1 && !flipPays(s, false, false);
  return !alreadyFast && s.m * s.k * s.n >= MIN_REWRITE_MACS;
}

/**
 * XNNPACK treats the right operand of a product as weights and repacks it on every call (the shipped
 * kernel creates a new operator for each new tensor): about 6 ns per element here, where a transpose in
 * the native module takes about 1. Weight gradients are products [m, k]·[k, n] with k = batch·pixels in the
 * hundred thousands, so which operand gets packed decides their cost: [16, 100352]·[100352, 96] takes
 * 60 ms, the same product as ([96, 100352]·[100352, 16])ᵀ 13 ms.
 */
const PACK_NS = 6;
const TRANSPOSE_NS = 1;

/** Estimated ns of the product as it stands: explicit transposes of the operands, packing of b. */
function directCost(s: MatMulShape, transposeA: boolean, transposeB: boolean): number {
  return TRANSPOSE_NS * ((transposeA ? s.k * s.m : 0) + (transposeB ? s.k * s.n : 0)) + PACK_NS * s.k * s.n;
}

/** Estimated ns of computing it as (op(b)ᵀ · op(a)ᵀ)ᵀ: a packed instead of b, plus the output's transpose. */
function flippedCost(s: MatMulShape, transposeA: boolean, transposeB: boolean): number {
  return TRANSPOSE_NS * ((transposeB ? 0 : s.k * s.n) + (transposeA ? 0 : s.k * s.m) + s.m * s.n) + PACK_NS * s.k * s.m;
}

/** Whether a single 2-D product is cheaper flipped (see PACK_NS). */
export function flipPays(s: MatMulShape, transposeA: boolean, transposeB: boolean): boolean {
  return s.batchA === 1 && s.batchB === 1 && flippedCost(s, transposeA, transposeB) < 0.8 * directCost(s, transposeA, transposeB);
}

/** A single untransposed 2-D product on XNNPACK: [m, k] · [k, n]. */
export type Product2d = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor;

/** How batches are taken apart and put back together (heap copies on wasm). */
export interface BatchLayout {
  /** a [batch, rows, cols] tensor's batch entries */
  unstack: (x: tf.Tensor3D) => tf.Tensor[];
  /** equal-shaped tensors stacked along a new first axis */
  stack: (parts: tf.Tensor[]) => tf.Tensor;
}

/**
 * The (batched) product a·b with the transposes done explicitly and the batch split into 2-D products,
 * shaped [max(batchA, batchB), m, n]. Call inside tf.tidy.
 */
export function productByUntransposed2d(
  a: tf.Tensor,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
  s: MatMulShape,
  product2d: Product2d,
  layout: BatchLayout,
): tf.Tensor3D {
  if (flipPays(s, transposeA, transposeB)) {
    // (op(b)ᵀ · op(a)ᵀ)ᵀ: op(b)ᵀ is b itself when transposeB, op(a)ᵀ is a itself when transposeA.
    const bt = upright(b, 1, s.n, s.k, !transposeB);
    const at = upright(a, 1, s.k, s.m, !transposeA);
    const outT = product2d(tf.reshape(bt, [s.n, s.k]) as tf.Tensor2D, tf.reshape(at, [s.k, s.m]) as tf.Tensor2D);
    return tf.reshape(tf.transpose(tf.reshape(outT, [s.n, s.m])), [1, s.m, s.n]);
  }
  const a3 = upright(a, s.batchA, s.m, s.k, transposeA);
  const b3 = upright(b, s.batchB, s.k, s.n, transposeB);
  if (s.batchB === 1) {
    // One b for every batch of a: stack a's batches as rows of a single product.
    const out = product2d(tf.reshape(a3, [s.batchA * s.m, s.k]), tf.reshape(b3, [s.k, s.n]));
    return tf.reshape(out, [s.batchA, s.m, s.n]);
  }
  const as = (s.batchA === 1 ? [tf.reshape(a3, [s.m, s.k])] : layout.unstack(a3)) as tf.Tensor2D[];
  const bs = layout.unstack(b3) as tf.Tensor2D[];
  const outs = bs.map((bi, i) => product2d(as[s.batchA === 1 ? 0 : i], bi));
  return layout.stack(outs) as tf.Tensor3D;
}

/** x as [batch, rows, cols] in row-major order, transposing its last two axes first if asked. */
function upright(x: tf.Tensor, batch: number, rows: number, cols: number, transposed: boolean): tf.Tensor3D {
  if (!transposed) return tf.reshape(x, [batch, rows, cols]);
  return tf.transpose(tf.reshape(x, [batch, cols, rows]), [0, 2, 1]);
}
