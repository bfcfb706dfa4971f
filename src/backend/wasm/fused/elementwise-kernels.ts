import * as tf from '@tensorflow/tfjs-core';
import { AdamStepAttrs, FusedKernel } from '../../fused-kernel-names';
import { requireFloat32 } from '../heap-layout';
import { KernelArgs, required } from '../kernel-registration';
import { address, allocate } from '../native/module';
import type { SplitCall } from '../native/parallel';
import { MIN_VALUES_PER_THREAD, nativeFor } from './native-call';

/**
 * GELU, a residual connection's add + ReLU, and the Adam step on the native module (kernels.c): one pass
 * each instead of 2–15 kernels.
 */

/**
 * Values are split in chunks of whole SIMD groups (multiples of 4), so that only the last chunk has a
 * tail: the kernels take groups of 4 values and the count of the last group's real values.
 */

export function gelu(args: KernelArgs): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const x = required(args.inputs, 'x');
  requireFloat32(FusedKernel.Gelu, x);
  const y = allocate(backend, x.shape);
  const [xa, ya] = [x, y].map((t) => address(backend, t));
  m.pool.runSplit(byValues('gelu', [xa, 0, ya], tf.util.sizeFromShape(x.shape), [0, 2], 1));
  return y;
}

export function geluGrad(args: KernelArgs): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const x = required(args.inputs, 'x');
  const dy = required(args.inputs, 'dy');
  requireFloat32(FusedKernel.GeluGrad, x, dy);
  const dx = allocate(backend, x.shape);
  const [xa, dya, dxa] = [x, dy, dx].map((t) => address(backend, t));
  m.pool.runSplit(byValues('gelu_backward', [xa, dya, 0, dxa], tf.util.sizeFromShape(x.shape), [0, 1, 3], 2));
  return dx;
}

export function addRelu(args: KernelArgs): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const a = required(args.inputs, 'a');
  const b = required(args.inputs, 'b');
  requireFloat32(FusedKernel.AddRelu, a, b);
  const y = allocate(backend, a.shape);
  const [aa, ba, ya] = [a, b, y].map((t) => address(backend, t));
  m.pool.runSplit(byValues('add_relu', [aa, ba, 0, ya], tf.util.sizeFromShape(a.shape), [0, 1, 3], 2));
  return y;
}

export function reluGrad(args: KernelArgs): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const y = required(args.inputs, 'y');
  const dy = required(args.inputs, 'dy');
  requireFloat32(FusedKernel.ReluGrad, y, dy);
  const dx = allocate(backend, y.shape);
  const [ya, dya, dxa] = [y, dy, dx].map((t) => address(backend, t));
  m.pool.runSplit(byValues('relu_backward', [ya, dya, 0, dxa], tf.util.sizeFromShape(y.shape), [0, 1, 3], 2));
  return dx;
}

export function adamStep(args: KernelArgs): tf.TensorInfo[] {
  const { m, backend } = nativeFor(args);
  const [p, g, mo, v] = (['param', 'grad', 'm', 'v'] as const).map((n) => required(args.inputs, n));
  requireFloat32(FusedKernel.AdamStep, p, g, mo, v);
  const o = args.attrs as unknown as AdamStepAttrs;
  const outs = [allocate(backend, p.shape), allocate(backend, p.shape), allocate(backend, p.shape)];
  const [pa, ga, ma, va, po, mOut, vo] = [p, g, mo, v, ...outs].map((t) => address(backend, t));
  // 1 − beta is rounded once from double, as tfjs does for its scalar.
  const call = [pa, ga, ma, va, 0, o.beta1, o.beta2, 1 - o.beta1, 1 - o.beta2, o.eps, o.sqrtBc2, o.stepSize, o.l2, o.lrWeightDecay, po, mOut, vo];
  m.pool.runSplit(byValues('adam_update', call, tf.util.sizeFromShape(p.shape), [0, 1, 2, 3, 14, 15, 16], 4));
  return outs;
}

/**
 * A call over `n` float32 values: the pointer arguments at `pointers` move with the chunk, the argument
 * at `count` gets the chunk's length. Chunks are multiples of 4 values.
 */
function byValues(fn: string, args: number[], n: number, pointers: number[], count: number): SplitCall {
  // In groups of 4: the pool cuts [0, groups), and the offsets step 16 bytes per group.
  const groups = Math.ceil(n / 4);
  return {
    fn,
    args,
    total: groups,
    minChunk: Math.ceil(MIN_VALUES_PER_THREAD / 4),
    offsets: pointers.map((i) => [i, 16] as [number, number]),
    count,
    unit: 4,
    limit: n,
  };
}
