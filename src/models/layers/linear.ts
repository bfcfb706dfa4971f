import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';
import { Initializer } from './init';

export interface LinearArgs {
  inFeatures: number;
  outFeatures: number;
  bias?: boolean;
  /** Standard deviation of the truncated-normal weight init (timm's ViT uses 0.02); default PyTorch's uniform. */
  initStd?: number;
}

/** y = x·W + b over the last axis; any leading axes are flattened into one 2-D product (fast on wasm). */
export class Linear extends Module {
  readonly args: Required<Omit<LinearArgs, 'initStd'>> & Pick<LinearArgs, 'initStd'>;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(args: LinearArgs, init: Initializer) {
    super();
    this.args = { bias: true, ...args };
    const { inFeatures, outFeatures } = this.args;
    const w =
      args.initStd !== undefined
        ? init.truncNormal([inFeatures, outFeatures], args.initStd)
        : init.uniform([inFeatures, outFeatures], 1 / Math.sqrt(inFeatures));
    this.weight = this.addParam('weight', w, 'linear');
    this.bias = this.args.bias
      ? this.addParam('bias', args.initStd !== undefined ? tf.zeros([outFeatures]) : init.uniform([outFeatures], 1 / Math.sqrt(inFeatures)))
      : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, this.args.inFeatures]) as tf.Tensor2D);
      let y: tf.Tensor = tf.matMul(x2, this.weight as tf.Tensor2D);
      if (this.bias) y = tf.add(y, this.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, this.args.outFeatures]);
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.args };
  }
}
