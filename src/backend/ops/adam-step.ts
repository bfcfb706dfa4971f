import * as tf from '@tensorflow/tfjs-core';
import { AdamStepAttrs, FusedKernel } from '../fused-kernel-names';
import { fusedKernelAvailable, runKernels } from './native-active';

/**
 * One Adam/AdamW step for one parameter as a single kernel where the backend has it (wasm with
 * fundus-train's native kernels): new [param, m, v], computed in PyTorch's order of operations. The tfjs
 * composition runs about 14 kernels per parameter. Null when unavailable: the caller runs its tfjs ops.
 */
export function adamStepFused(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  attrs: AdamStepAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] | null {
  if (!fusedKernelAvailable(FusedKernel.AdamStep)) return null;
  const [p, mNext, vNext] = runKernels(FusedKernel.AdamStep, { param, grad, m, v }, attrs as unknown as tf.NamedAttrMap);
  return [p, mNext, vNext];
}
