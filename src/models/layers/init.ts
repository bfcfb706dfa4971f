import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../util/random';

/**
 * Seeded weight initialisers. Every draw takes its seed from one 'init' stream, so the same
 * experiment seed builds the same weights on every backend (tfjs draws random numbers in JS).
 */
export class Initializer {
  private readonly rng: Rng;

  /**
   * @param skip build zero tensors instead of drawing (fast: for weights that are loaded right after,
   *   and for counting parameters of large variants).
   */
  constructor(
    seed: number,
    private readonly skip = false,
  ) {
    this.rng = Rng.create(seed, 'init');
  }

  private nextSeed(): number {
    return this.rng.int32() >>> 0;
  }

  /** Normal truncated at two standard deviations (timm's trunc_normal_ with std and ±2·std bounds). */
  truncNormal(shape: number[], std: number): tf.Tensor {
    if (this.skip) return tf.zeros(shape);
    return tf.truncatedNormal(shape, 0, std, 'float32', this.nextSeed());
  }

  normal(shape: number[], std: number): tf.Tensor {
    if (this.skip) return tf.zeros(shape);
    return tf.randomNormal(shape, 0, std, 'float32', this.nextSeed());
  }

  uniform(shape: number[], limit: number): tf.Tensor {
    if (this.skip) return tf.zeros(shape);
    return tf.randomUniform(shape, -limit, limit, 'float32', this.nextSeed());
  }

  /** He-normal with std sqrt(2 / fan), PyTorch's kaiming_normal_ for the fan (in or out) the caller chose. */
  kaimingNormal(shape: number[], fan: number): tf.Tensor {
    return this.normal(shape, Math.sqrt(2 / fan));
  }
}

export function zeros(shape: number[]): tf.Tensor {
  return tf.zeros(shape);
}

export function ones(shape: number[]): tf.Tensor {
  return tf.ones(shape);
}

export function full(shape: number[], value: number): tf.Tensor {
  return tf.fill(shape, value);
}
