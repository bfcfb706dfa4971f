import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../fused-kernel-names';
import { customOp, fusedKernelAvailable, runKernels } from './native-active';

/**
 * Layer normalisation over the last axis, (x − mean)/sqrt(var + eps)·gamma + beta, as one forward and one
 * backward kernel where the backend has them (wasm with fundus-train's native kernels); the tfjs
 * composition runs about 25 kernels per layer in a training step. Null when unavailable: the caller then
 * runs its tfjs ops.
 */
export function layerNormFused(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor | null {
  if (!fusedKernelAvailable(FusedKernel.LayerNormGrad)) return null;
  const forward = customOp(([xIn, gIn, bIn], save) => {
    const [y, mean, rstd] = runKernels(FusedKernel.LayerNorm, { x: xIn, gamma: gIn, beta: bIn }, { eps });
    save([xIn, mean, rstd, gIn]);
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [sx, sMean, sRstd, sGamma] = saved;
        return runKernels(FusedKernel.LayerNormGrad, { x: sx, dy, mean: sMean, rstd: sRstd, gamma: sGamma });
      },
    };
  });
  return forward(x, gamma, beta);
}
