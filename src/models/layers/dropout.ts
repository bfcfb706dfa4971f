import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';
import { keepMask } from './stochastic';

/** Element-wise dropout, active only in training mode. */
export class Dropout extends Module {
  constructor(readonly rate: number) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.rate <= 0) return x;
    return tf.tidy(() => tf.mul(x, keepMask(x.shape, 1 - this.rate)));
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate };
  }
}

/**
 * Stochastic depth ("drop path", timm's DropPath / EfficientNet's drop-connect): drops a whole
 * residual branch per sample in training, scaling the kept ones by 1/keep.
 */
export class DropPath extends Module {
  constructor(readonly rate: number) {
    super();
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.rate <= 0) return x;
    return tf.tidy(() => {
      const shape = [x.shape[0], ...x.shape.slice(1).map(() => 1)];
      return tf.mul(x, keepMask(shape, 1 - this.rate));
    });
  }

  getConfig(): Record<string, unknown> {
    return { rate: this.rate };
  }
}
