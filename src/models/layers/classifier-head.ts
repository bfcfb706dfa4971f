import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';
import { Initializer } from './init';
import { Dropout } from './dropout';
import { Linear } from './linear';

/**
 * Dropout then a linear classifier over pooled features, named like timm's ClassifierHead
 * (`head.fc.weight`), which Swin, VGG and other timm families use instead of a bare `head`.
 */
export class ClassifierHead extends Module {
  readonly drop: Dropout;
  readonly fc: Linear;

  constructor(inFeatures: number, numClasses: number, dropRate: number, init: Initializer, initStd = 0.02) {
    super();
    this.drop = this.addChild('drop', new Dropout(dropRate));
    this.fc = this.addChild('fc', new Linear({ inFeatures, outFeatures: numClasses, initStd }, init));
  }

  /** [B, inFeatures] -> [B, numClasses] */
  forward(pooled: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.fc.forward(this.drop.forward(pooled)) as tf.Tensor2D);
  }

  getConfig(): Record<string, unknown> {
    return { inFeatures: this.fc.args.inFeatures, numClasses: this.fc.args.outFeatures, dropRate: this.drop.rate };
  }
}
