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

/**
 * One pass over same-shaped float32 inputs into a new tensor of their shape: the native function takes
 * the inputs' pointers, the count of values, then the output's pointer.
 */
function elementwise(args: KernelArgs, kernelName: string, fn: string, inputNames: string[]): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const inputs = inputNames.map((name) => required(args.inputs, name));
  requireFloat32(kernelName, ...inputs);
  const out = allocate(backend, inputs[0].shape);
  const call = [...inputs.map((t) => address(backend, t)), 0, address(backend, out)];
  const moving = [...inputs.keys(), inputs.length + 1];
  m.pool.runSplit(byValues(fn, call, tf.util.sizeFromShape(out.shape), moving, inputs.length));
  return out;
}

export const gelu = (args: KernelArgs): tf.TensorInfo => elementwise(args, FusedKernel.Gelu, 'gelu', ['x']);
export const geluGrad = (args: KernelArgs): tf.TensorInfo => elementwise(args, FusedKernel.GeluGrad, 'gelu_backward', ['x', 'dy']);
export const addRelu = (args: KernelArgs): tf.TensorInfo => elementwise(args, FusedKernel.AddRelu, 'add_relu', ['a', 'b']);
export const reluGrad = (args: KernelArgs): tf.TensorInfo => elementwise(args, FusedKernel.ReluGrad, 'relu_backward', ['y', 'dy']);

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
