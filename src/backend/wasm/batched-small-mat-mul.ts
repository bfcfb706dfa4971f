import * as tf from '@tensorflow/tfjs-core';
import { asTensor } from './kernel-registration';
import { MatMulShape } from './mat-mul-plan';
import { address, allocate, nativeModule } from './native/module';

/**
 * At most this many multiply-adds per product, a batched product runs in the native kernel: below it,
 * splitting the batch into XNNPACK products costs more in per-product set-up (an operator and a packed
 * copy of each b) than in arithmetic (Swin's window attention, 64×32×64 per product, ran at 5–10 GFLOP/s).
 */
export const MAX_SMALL_PRODUCT_MACS = 1 << 18;

/** Multiply-adds worth handing to another thread. */
const MIN_CHUNK_MACS = 1 << 20;

/** Whether a batched product (pairs of a and b, no shared side) is small enough for the native kernel. */
export function nativeBatchedApplies(s: MatMulShape): boolean {
  return s.batchA === s.batchB && s.batchA > 1 && s.m * s.k * s.n <= MAX_SMALL_PRODUCT_MACS;
}

/**
 * The batched product op(a)·op(b) in fundus-train's native kernel (kernels.c, batched_matmul), batch
 * entries split over the native threads: a is read in either layout through strides; a transposed b is
 * transposed first (the native transpose, a small share of the product). Null where the module is not loaded.
 */
export function nativeBatchedProduct(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  s: MatMulShape,
  backend: tf.KernelBackend,
): tf.TensorInfo | null {
  const m = nativeModule(backend);
  if (m == null) return null;
  const upright = transposeB ? tf.tidy(() => tf.transpose(tf.reshape(asTensor(b, backend), [s.batchB, s.n, s.k]), [0, 2, 1])) : null;
  try {
    const out = allocate(backend, s.outShape);
    const [aa, ba, oa] = [a, upright ?? b, out].map((t) => address(backend, t));
    const [aRow, aCol] = transposeA ? [1, s.m] : [s.k, 1];
    m.pool.runSplit({
      fn: 'batched_matmul',
      args: [aa, ba, s.m, s.k, s.n, aRow, aCol, 0, 0, oa],
      total: s.batchA,
      minChunk: Math.ceil(MIN_CHUNK_MACS / (s.m * s.k * s.n)),
      start: 7,
      end: 8,
    });
    return out;
  } finally {
    upright?.dispose();
  }
}
