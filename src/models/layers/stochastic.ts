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

/**
 * Where the masks drawn next will come from, so that a computation can be run again drawing the same
 * masks (activation checkpointing recomputes a block's forward pass in the backward pass). Outside a
 * context, a fresh seeded stream is made for the two runs, so they still agree with each other.
 */
export interface StochasticSnapshot {
  /** Runs fn drawing the masks from the snapshot's point of the stream; the current stream is left as it was. */
  replay<T>(fn: () => T): T;
  /** Runs fn as it runs now, drawing from the current stream, unless the snapshot made a stream of its own. */
  first<T>(fn: () => T): T;
}

export function stochasticSnapshot(): StochasticSnapshot {
  const state = (current ?? Rng.create(Math.floor(Math.random() * 2 ** 31), 'dropout:unseeded')).state();
  const own = current == null;
  const run = <T>(fn: () => T): T => {
    const previous = current;
    current = Rng.restore(state);
    try {
      return fn();
    } finally {
      current = previous;
    }
  };
  return { replay: run, first: (fn) => (own ? run(fn) : fn()) };
}
