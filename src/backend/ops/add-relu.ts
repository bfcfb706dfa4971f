import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../fused-kernel-names';
import { customOp, fusedKernelAvailable, runKernel } from './native-active';

/**
 * max(a + b, 0) for a and b of one shape (a ResNet block's residual connection and its ReLU) as one
 * kernel each way where the backend has them (wasm with fundus-train's native kernels): tfjs runs Add and
 * Relu forward and Step, Cast and Multiply backward, and keeps a + b alive for the backward pass; this
 * keeps only the output. Null when unavailable or the shapes differ (the caller runs tf.relu(tf.add)).
 */
export function addReluFused(a: tf.Tensor, b: tf.Tensor): tf.Tensor | null {
  if (!fusedKernelAvailable(FusedKernel.ReluGrad) || !tf.util.arraysEqual(a.shape, b.shape)) return null;
  const forward = customOp(([aIn, bIn], save) => {
    const y = runKernel(FusedKernel.AddRelu, { a: aIn, b: bIn });
    save([y]);
    return {
      value: y,
      gradFunc: (dy, [saved]) => {
        const g = runKernel(FusedKernel.ReluGrad, { y: saved, dy });
        return [g, tf.clone(g)];
      },
    };
  });
  return forward(a, b);
}
