import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';
import { batchNormActFixed, batchNormActTraining, layerNormFused, NormActivation } from '../../backend/ops';
import { silu } from './activations';
import { recomputing } from './checkpoint';

export interface BatchNorm2dArgs {
  numFeatures: number;
  eps?: number;
  /** PyTorch convention: running = (1 - momentum)·running + momentum·batch. */
  momentum?: number;
}

/**
 * Batch normalisation over N, H, W of NHWC input with PyTorch semantics: training normalises by
 * the batch's biased variance and updates running_var with the unbiased one.
 * `frozen` keeps inference behaviour even in training mode (linear probing).
 */
export class BatchNorm2d extends Module {
  readonly args: Required<BatchNorm2dArgs>;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  frozen = false;

  constructor(args: BatchNorm2dArgs) {
    super();
    this.args = { eps: 1e-5, momentum: 0.1, ...args };
    const c = args.numFeatures;
    this.weight = this.addParam('weight', tf.ones([c]));
    this.bias = this.addParam('bias', tf.zeros([c]));
    this.runningMean = this.addBuffer('running_mean', tf.zeros([c]));
    this.runningVar = this.addBuffer('running_var', tf.ones([c]));
  }

  /**
   * Normalises x and applies `activation` (EfficientNet's BN + SiLU, ResNet's and DenseNet's BN + ReLU): one fused kernel each way where the
   * backend has it (wasm with fundus-train's native kernels), else tfjs's batch norm then the activation.
   */
  forward(x: tf.Tensor, activation: NormActivation = 'identity'): tf.Tensor4D {
    const x4 = x as tf.Tensor4D;
    const { eps } = this.args;
    const gamma = this.weight as tf.Tensor1D;
    const beta = this.bias as tf.Tensor1D;
    if (!this.training || this.frozen) {
      const fused = batchNormActFixed(x4, this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D, gamma, beta, eps, activation);
      if (fused) return fused;
      return tf.tidy(() =>
        activate(tf.batchNorm4d(x4, this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D, beta, gamma, eps), activation),
      );
    }
    const fused = batchNormActTraining(x4, gamma, beta, eps, activation);
    if (fused) {
      this.updateRunningStats(x4, fused.mean, fused.variance);
      tf.dispose([fused.mean, fused.variance]);
      return fused.y;
    }
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x4, [0, 1, 2]);
      // Running statistics are state, not part of the loss: update them from detached copies.
      this.updateRunningStats(
        x4,
        tf.tidy(() => tf.clone(mean)),
        variance,
      );
      return activate(tf.batchNorm4d(x4, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, eps), activation);
    });
  }

  /** running = (1 − momentum)·running + momentum·batch, with the batch variance made unbiased. */
  private updateRunningStats(x: tf.Tensor4D, mean: tf.Tensor, variance: tf.Tensor): void {
    // A checkpointed block's second forward pass sees the same batch: the first one updated them.
    if (recomputing()) return;
    const { momentum } = this.args;
    const n = x.size / x.shape[3];
    tf.tidy(() => {
      const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - momentum), tf.mul(mean, momentum)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.args };
  }
}

export interface LayerNormArgs {
  normalizedShape: number;
  eps?: number;
}

/** Layer normalisation over the last axis. */
export class LayerNorm extends Module {
  readonly args: Required<LayerNormArgs>;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(args: LayerNormArgs) {
    super();
    this.args = { eps: 1e-5, ...args };
    this.weight = this.addParam('weight', tf.ones([args.normalizedShape]));
    this.bias = this.addParam('bias', tf.zeros([args.normalizedShape]));
  }

  forward(x: tf.Tensor): tf.Tensor {
    const fused = layerNormFused(x, this.weight as tf.Tensor1D, this.bias as tf.Tensor1D, this.args.eps);
    if (fused) return fused;
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.args.eps)));
      return tf.add(tf.mul(normed, this.weight), this.bias);
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.args };
  }
}

function activate(x: tf.Tensor4D, activation: NormActivation): tf.Tensor4D {
  if (activation === 'silu') return silu(x) as tf.Tensor4D;
  return activation === 'relu' ? tf.relu(x) : x;
}
