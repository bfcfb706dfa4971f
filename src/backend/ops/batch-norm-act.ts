import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../fused-kernel-names';
import { NativeActivation } from '../wasm/native/module';
import { customOp, fusedKernelAvailable, runKernel, runKernels } from './native-active';

/**
 * Batch normalisation followed by an activation (identity, SiLU or ReLU), as one forward and one backward
 * kernel where the backend has them (wasm with fundus-train's native kernels). The tfjs composition it
 * replaces (moments, batchNorm, sigmoid, mul) runs about 20 kernels per layer in a training step and keeps
 * four full-size intermediates alive for the backward pass; this keeps only the input.
 *
 * Returns null when the fused kernels are not available: the caller then runs its tfjs ops.
 */
export type NormActivation = NativeActivation;

export interface BatchNormTrainResult {
  y: tf.Tensor4D;
  /** the batch's mean and biased variance per channel (not differentiable), for the running statistics */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/** Training mode: normalised by the batch's own statistics, differentiable with respect to x, gamma and beta. */
export function batchNormActTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  activation: NormActivation,
): BatchNormTrainResult | null {
  if (!fusedKernelAvailable(FusedKernel.NormActGrad)) return null;
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const forward = customOp(([xIn, gIn, bIn], save) => {
    const [mean, variance] = runKernels(FusedKernel.ChannelMoments, { x: xIn }) as [tf.Tensor1D, tf.Tensor1D];
    const y = runKernel(FusedKernel.NormAct, { x: xIn, mean, variance, gamma: gIn, beta: bIn }, { eps, activation });
    save([xIn, mean, variance, gIn, bIn]);
    // The statistics leave the customGrad's scope for the running averages; the caller disposes them.
    stats = [tf.keep(mean), tf.keep(variance)];
    return { value: y, gradFunc: (dy, saved) => normActGradient(dy, saved, eps, activation, true) };
  });
  const y = forward(x, gamma, beta) as tf.Tensor4D;
  if (stats == null) throw new Error('batchNormActTraining: the forward pass did not run');
  return { y, mean: stats[0], variance: stats[1] };
}

/**
 * Inference mode (running statistics, or frozen batch norm): act(x·scale + shift) in one pass,
 * differentiable with respect to x, gamma and beta (the statistics are constants).
 */
export function batchNormActFixed(
  x: tf.Tensor4D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  activation: NormActivation,
): tf.Tensor4D | null {
  if (!fusedKernelAvailable(FusedKernel.NormActGrad)) return null;
  const forward = customOp(([xIn, gIn, bIn], save) => {
    // Saved (not captured): the backward pass runs after the caller's tidy has ended.
    save([xIn, mean, variance, gIn, bIn]);
    return {
      value: runKernel(FusedKernel.NormAct, { x: xIn, mean, variance, gamma: gIn, beta: bIn }, { eps, activation }),
      gradFunc: (dy, saved) => normActGradient(dy, saved, eps, activation, false),
    };
  });
  return forward(x, gamma, beta) as tf.Tensor4D;
}

/** [dx, dgamma, dbeta] from the saved [x, mean, variance, gamma, beta]. */
function normActGradient(dy: tf.Tensor, saved: tf.Tensor[], eps: number, activation: NormActivation, training: boolean): tf.Tensor[] {
  const [x, mean, variance, gamma, beta] = saved;
  return tf.tidy(() => {
    const invstd = tf.rsqrt(tf.add(variance, eps));
    return runKernels(FusedKernel.NormActGrad, { x, dy, mean, invstd, gamma, beta }, { activation, training });
  });
}
