import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';
import { Initializer } from './init';
import { Linear } from './linear';
import { gelu } from './activations';

/** Transformer MLP (timm's Mlp): fc1, GELU, fc2, back to the input width. */
export class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(inFeatures: number, hidden: number, init: Initializer) {
    super();
    this.fc1 = this.addChild('fc1', new Linear({ inFeatures, outFeatures: hidden, initStd: 0.02 }, init));
    this.fc2 = this.addChild('fc2', new Linear({ inFeatures: hidden, outFeatures: inFeatures, initStd: 0.02 }, init));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(gelu(this.fc1.forward(x))));
  }
  getConfig(): Record<string, unknown> {
    return { inFeatures: this.fc1.args.inFeatures, hidden: this.fc1.args.outFeatures };
  }
}
