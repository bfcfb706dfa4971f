import * as tf from '@tensorflow/tfjs-core';
import { addReluFused, geluFused, softmaxFused } from '../../backend/ops';

/** Exact GELU, x·Φ(x), as torch.nn.GELU() (not the tanh approximation). */
export function gelu(x: tf.Tensor): tf.Tensor {
  // One kernel each way where the backend has it (wasm with fundus-train's native kernels).
  const fused = geluFused(x);
  if (fused) return fused;
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** ReLU of a residual sum, max(a + b, 0): one kernel each way where the backend has it. */
export function addRelu(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return addReluFused(a, b) ?? tf.tidy(() => tf.relu(tf.add(a, b)));
}

/** Softmax over the last axis (attention weights): its gradient in one kernel where the backend has it. */
export function softmax(x: tf.Tensor): tf.Tensor {
  return softmaxFused(x) ?? tf.softmax(x);
}

/** SiLU (swish), x·sigmoid(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

export type ActivationName = 'gelu' | 'silu' | 'relu' | 'sigmoid' | 'identity';

export function activation(name: ActivationName): (x: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'gelu':
      return gelu;
    case 'silu':
      return silu;
    case 'relu':
      return (x) => tf.relu(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'identity':
      return (x) => x;
  }
}
