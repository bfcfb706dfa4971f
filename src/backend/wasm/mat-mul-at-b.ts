import * as tf from '@tensorflow/tfjs-core';
import { MatMulShape } from './mat-mul-plan';
import { address, allocate, nativeModule } from './native/module';

/**
 * Below this contraction length aᵀ·b stays with XNNPACK: its transposes and packing cost less than they
 * save there, and its product is faster than the native one.
 */
export const MIN_AT_B_ROWS = 4096;

/** Output rows per thread chunk, in tiles of 4: enough work to be worth a hand-off. */
const MIN_TILES = 8;

/** Whether aᵀ·b (a [P, K], b [P, N], one batch) runs in the native kernel: a weight gradient's shape. */
export function nativeAtBApplies(s: MatMulShape, transposeA: boolean, transposeB: boolean): boolean {
  return transposeA && !transposeB && s.batchA === 1 && s.batchB === 1 && s.k >= MIN_AT_B_ROWS;
}

/**
 * aᵀ·b in fundus-train's native kernel (kernels.c, matmul_at_b), split by rows of the output over the
 * native threads; null where the native module is not loaded.
 */
export function nativeAtB(a: tf.TensorInfo, b: tf.TensorInfo, s: MatMulShape, backend: tf.KernelBackend): tf.TensorInfo | null {
  const m = nativeModule(backend);
  if (m == null) return null;
  const out = allocate(backend, s.outShape);
  const [aa, ba, oa] = [a, b, out].map((t) => address(backend, t));
  m.pool.runSplit({ fn: 'matmul_at_b', args: [aa, ba, s.k, s.m, s.n, 0, 0, oa], total: Math.ceil(s.m / 4), minChunk: MIN_TILES, start: 5, end: 6 });
  return out;
}
