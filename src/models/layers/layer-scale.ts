import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';

/** Per-channel learned scale of a residual branch (CaiT / DINOv2), named `gamma` as in timm. */
export class LayerScale extends Module {
  readonly gamma: tf.Variable;
  constructor(dim: number, initValue: number) {
    super();
    this.gamma = this.addParam('gamma', tf.fill([dim], initValue));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mul(x, this.gamma);
  }
  getConfig(): Record<string, unknown> {
    return { dim: this.gamma.shape[0] };
  }
}
