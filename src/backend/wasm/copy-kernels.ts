import * as tf from '@tensorflow/tfjs-core';
import { KernelArgs, required } from './kernel-registration';
import { address, allocate, heapF32, heapF64, NativeModule, nativeModule, withScratch } from './native/module';
import { optimizationsEnabled } from '../optimizations';

/**
 * SplitV, Concat and Sum over leading axes for wasm on the native module (kernels.c): the shipped kernels
 * copy or transpose in JavaScript loops. Measured in a ViT-Tiny training step (224 px, batch 8): the split
 * of qkv took 5.7 ms per layer, the bias gradients (sums over the 1576 token rows) 121 ms in all. Other
 * dtypes, and sums that are not over a prefix of the axes, go to the shipped kernels.
 */

/** Below this many values the shipped kernel is fine (and a native call is not worth it). */
const MIN_VALUES = 1 << 12;

function usable(args: KernelArgs, x: tf.TensorInfo): NativeModule | null {
  if (!optimizationsEnabled() || x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) < MIN_VALUES) return null;
  return nativeModule(args.backend as tf.KernelBackend);
}

/** outer × (axis size) × inner of a shape around `axis` */
function around(shape: number[], axis: number): { outer: number; inner: number } {
  return { outer: tf.util.sizeFromShape(shape.slice(0, axis)), inner: tf.util.sizeFromShape(shape.slice(axis + 1)) };
}

/** Copies `len` values of every row: src rows `srcStride` apart, dst rows `dstStride` apart. */
function copyRows(m: NativeModule, src: number, rows: number, srcStride: number, len: number, dstStride: number, dst: number): void {
  m.pool.runSplit({
    fn: 'copy_rows',
    args: [src, 0, srcStride, len, dstStride, dst],
    total: rows,
    minChunk: Math.ceil((1 << 16) / Math.max(1, len)),
    offsets: [
      [0, srcStride * 4],
      [5, dstStride * 4],
    ],
    count: 1,
  });
}

export function makeSplitV(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = required(args.inputs, 'x');
    const m = usable(args, x);
    if (m == null) return shipped.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const { outer, inner } = around(x.shape, ax);
    const stride = x.shape[ax] * inner;
    const xa = address(backend, x);
    let offset = 0;
    return sizes.map((size) => {
      const shape = x.shape.slice();
      shape[ax] = size;
      const out = allocate(backend, shape);
      copyRows(m, xa + offset * inner * 4, outer, stride, size * inner, size * inner, address(backend, out));
      offset += size;
      return out;
    });
  };
}

export function makeConcat(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const inputs = Object.values(args.inputs) as tf.TensorInfo[];
    const { axis } = args.attrs as unknown as tf.ConcatAttrs;
    if (inputs.length === 0) return shipped.kernelFunc(args);
    const ax = tf.util.parseAxisParam(axis, inputs[0].shape)[0];
    const shape = tf.backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      ax,
    );
    const m = inputs.every((t) => t.dtype === 'float32') ? usable(args, { ...inputs[0], shape }) : null;
    if (m == null) return shipped.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const { outer, inner } = around(shape, ax);
    const stride = shape[ax] * inner;
    const out = allocate(backend, shape);
    const oa = address(backend, out);
    let offset = 0;
    for (const t of inputs) {
      const len = t.shape[ax] * inner;
      if (len > 0) copyRows(m, address(backend, t), outer, len, len, stride, oa + offset * 4);
      offset += len;
    }
    return out;
  };
}

/** Sum over the leading axes [0, k) of x: column sums of x seen as [rows, C]. */
export function makeSum(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = required(args.inputs, 'x');
    const m = usable(args, x);
    if (m == null) return shipped.kernelFunc(args);
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const k = axes.length;
    const C = tf.util.sizeFromShape(x.shape.slice(k));
    if (k === 0 || k === x.shape.length || axes.some((a, i) => a !== i) || C < 4) return shipped.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
    const shape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
    const out = allocate(backend, shape);
    const xa = address(backend, x);
    const threads = m.pool.maxThreads;
    withScratch(backend, threads * C * 8, (s) => {
      heapF64(backend, s, threads * C).fill(0);
      const accs = Array.from({ length: threads }, (_, p) => s + p * C * 8);
      m.pool.runSplit({
        fn: 'column_sums',
        args: [xa, 0, C, 0],
        total: rows,
        minChunk: Math.ceil((1 << 16) / C),
        offsets: [[0, C * 4]],
        count: 1,
        perThread: [[3, accs]],
      });
      const sums = new Float64Array(C);
      for (const at of accs) {
        const part = heapF64(backend, at, C);
        for (let c = 0; c < C; c++) sums[c] += part[c];
      }
      heapF32(backend, address(backend, out), C).set(sums);
    });
    return out;
  };
}
