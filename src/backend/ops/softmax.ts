import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../fused-kernel-names';
import { customOp, fusedKernelAvailable, runKernel } from './native-active';

/**
 * Softmax over the last axis with its gradient in one kernel where the backend has it (wasm with
 * fundus-train's native kernels): tfjs's gradient runs Multiply, Sum, Multiply and a broadcasting Sub
 * over every attention matrix. The forward pass is tfjs's Softmax. Null when unavailable.
 */
export function softmaxFused(x: tf.Tensor): tf.Tensor | null {
  if (!fusedKernelAvailable(FusedKernel.SoftmaxGrad)) return null;
  const forward = customOp(([xIn], save) => {
    const y = tf.softmax(xIn);
    save([y]);
    return { value: y, gradFunc: (dy, [saved]) => [runKernel(FusedKernel.SoftmaxGrad, { y: saved, dy })] };
  });
  return forward(x);
}
