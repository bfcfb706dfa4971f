import * as tf from '@tensorflow/tfjs-core';
import { required } from './kernel-registration';
import { address, allocate, nativeModule } from './native/module';
import { optimizationsEnabled } from '../optimizations';

/**
 * Transpose for wasm: a transpose that swaps two adjacent groups of axes, x [A, R, C, D] → [A, C, R, D]
 * (matrix transposes, batched ones, attention's head split and merge, which are all the model code and
 * the matrix-product rewrite ask for), runs in the native module (kernels.c, transpose_swap: 4×4 tiles
 * transposed in registers). The shipped kernel takes 4–5 ns per element on these ([100352, 96]: 53 ms);
 * the native one about 0.5. Other permutations and dtypes go to the shipped kernel.
 */
export function makeTranspose(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = required(args.inputs, 'x');
    const perm = (args.attrs as unknown as tf.TransposeAttrs).perm;
    if (!optimizationsEnabled() || (x.dtype !== 'float32' && x.dtype !== 'int32')) return shipped.kernelFunc(args);
    const swap = swapOfGroups(x.shape, perm);
    const backend = args.backend as tf.KernelBackend;
    const m = swap == null ? null : nativeModule(backend);
    if (swap == null || m == null) return shipped.kernelFunc(args);
    const out = allocate(
      backend,
      perm.map((p) => x.shape[p]),
      x.dtype,
    );
    const [xa, ya] = [x, out].map((t) => address(backend, t));
    // Chunks take rows of R in every block: they write disjoint parts of the output.
    m.pool.runSplit({
      fn: 'transpose_swap',
      args: [xa, swap.A, swap.R, swap.C, swap.D, 0, 0, ya],
      total: swap.R,
      minChunk: Math.ceil((1 << 16) / Math.max(1, swap.A * swap.C * swap.D)),
      start: 5,
      end: 6,
    });
    return out;
  };
}

/** x [A, R, C, D] → [A, C, R, D] sizes of a permutation, or null when it is not such a swap. */
export interface GroupSwap {
  A: number;
  R: number;
  C: number;
  D: number;
}

/**
 * Reduces `perm` on `shape` to a swap of two adjacent groups of axes: axes of size 1 are dropped and runs
 * of axes that stay neighbours in the output are merged, which leaves [1,0], [0,2,1], [1,0,2] or
 * [0,2,1,3] for every swap. Null for anything else (identity included).
 */
export function swapOfGroups(shape: number[], perm: number[]): GroupSwap | null {
  // Drop size-1 axes, renumbering the rest.
  const kept = perm.filter((axis) => shape[axis] !== 1);
  const order = [...kept].sort((a, b) => a - b);
  const p = kept.map((axis) => order.indexOf(axis));
  const sizes = order.map((axis) => shape[axis]);
  // Merge runs p[i+1] = p[i] + 1 into groups (in output order), each with its input axes.
  const groups: number[][] = [];
  for (const axis of p) {
    const last = groups[groups.length - 1];
    if (last != null && last[last.length - 1] + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  // Groups in input order give the reduced input shape; their output positions the reduced permutation.
  const byInput = [...groups].sort((a, b) => a[0] - b[0]);
  const size = (g: number[]) => g.reduce((s, axis) => s * sizes[axis], 1);
  const reduced = groups.map((g) => byInput.indexOf(g)).join(',');
  const g = byInput.map(size);
  switch (reduced) {
    case '1,0':
      return { A: 1, R: g[0], C: g[1], D: 1 };
    case '0,2,1':
      return { A: g[0], R: g[1], C: g[2], D: 1 };
    case '1,0,2':
      return { A: 1, R: g[0], C: g[1], D: g[2] };
    case '0,2,1,3':
      return { A: g[0], R: g[1], C: g[2], D: g[3] };
    default:
      return null;
  }
}
