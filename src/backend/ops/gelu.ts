import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../fused-kernel-names';
import { customOp, fusedKernelAvailable, runKernel } from './native-active';

/**
 * Exact GELU, x·Φ(x), as one forward and one backward kernel where the backend has them (wasm with
 * fundus-train's native kernels); the tfjs composition (mul, erf, add, mul, and exp, square, neg, ... in
 * its gradient) runs about 12 full-size kernels per layer in a training step. Null when unavailable.
 */
export function geluFused(x: tf.Tensor): tf.Tensor | null {
  if (!fusedKernelAvailable(FusedKernel.GeluGrad)) return null;
  const forward = customOp(([xIn], save) => {
    save([xIn]);
    return {
      value: runKernel(FusedKernel.Gelu, { x: xIn }),
      gradFunc: (dy, saved) => [runKernel(FusedKernel.GeluGrad, { x: saved[0], dy })],
    };
  });
  return forward(x);
}
