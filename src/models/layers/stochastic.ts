import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../util/random';

/**
 * The source of randomness for dropout and drop-path during one training step. The trainer
 * opens a context per step from (seed, epoch, step), so masks are reproducible and a resumed
 * run draws the same masks as an uninterrupted one.
 */
let current: Rng | null = null;

export function withStochasticContext<T>(seed: number, key: string, fn: () => T): T {
  const previous = current;
  current = Rng.create(seed, `dropout:${key}`);
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** A seed for one random mask; outside a context (inference, tests) masks still work but are unseeded. */
export function nextMaskSeed(): number | undefined {
  return current ? current.int32() >>> 0 : undefined;
}

/** Bernoulli keep-mask scaled by 1/keep, of the given shape. */
export function keepMask(shape: number[], keepProb: number): tf.Tensor {
  return tf.tidy(() => {
    const u = tf.randomUniform(shape, 0, 1, 'float32', nextMaskSeed());
    return tf.div(tf.cast(tf.less(u, keepProb), 'float32'), keepProb);
  });
}
