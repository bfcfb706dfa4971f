import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

export const clipGradSchema = z
  .union([z.strictObject({ norm: z.number().positive() }), z.strictObject({ value: z.number().positive() })])
  .nullable()
  .default(null);

export type ClipGradConfig = { norm: number } | { value: number };

export interface ClippedGrads {
  grads: tf.NamedTensorMap;
  /** The total 2-norm of the gradients before clipping (norm mode; a scalar the caller disposes), else null. */
  totalNorm: tf.Scalar | null;
}

/**
 * torch.nn.utils.clip_grad_norm_(max_norm, norm_type=2, error_if_nonfinite=False): every gradient
 * times min(1, max_norm / (‖g‖₂ + 1e-6)), ‖g‖₂ over all gradients together (a non-finite norm
 * propagates, as torch's does). Or clip_grad_value_: each element clamped to [−value, value].
 * Returns new tensors; the caller disposes the input gradients.
 */
export function clipGradients(grads: tf.NamedTensorMap, cfg: ClipGradConfig): ClippedGrads {
  const names = Object.keys(grads);
  if ('value' in cfg) {
    return { grads: tf.tidy(() => Object.fromEntries(names.map((n) => [n, tf.clipByValue(grads[n], -cfg.value, cfg.value)]))), totalNorm: null };
  }
  const totalNorm = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))) as tf.Scalar);
  const clipped = tf.tidy(() => {
    const coef = tf.minimum(tf.div(cfg.norm, tf.add(totalNorm, 1e-6)), 1);
    return Object.fromEntries(names.map((n) => [n, tf.mul(grads[n], coef)]));
  });
  return { grads: clipped, totalNorm };
}
