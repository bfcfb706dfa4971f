import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module';
import { Initializer } from './init';

/** A number pads symmetrically (PyTorch); 'same' pads as TensorFlow does (asymmetric for even totals). */
export type ConvPadding = number | 'same' | 'valid';

export interface Conv2dArgs {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  stride?: number;
  padding?: ConvPadding;
  dilation?: number;
  /** 1 (dense) or inChannels (depthwise, outChannels a multiple of inChannels). */
  groups?: number;
  bias?: boolean;
  /** He-normal init over fan-out (timm's EfficientNet, ResNet, VGG) or fan-in (timm's DenseNet). */
  initFan?: 'out' | 'in';
}

/** 2-D convolution over NHWC input, dense or depthwise. Weight names follow torch.nn.Conv2d. */
export class Conv2d extends Module {
  readonly args: Required<Conv2dArgs>;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  readonly depthwise: boolean;

  constructor(args: Conv2dArgs, init: Initializer) {
    super();
    const k = args.kernelSize;
    this.args = {
      stride: 1,
      padding: Math.floor((k - 1) / 2) * (args.dilation ?? 1),
      dilation: 1,
      groups: 1,
      bias: true,
      initFan: 'out',
      ...args,
    };
    const { inChannels, outChannels, groups } = this.args;
    if (groups !== 1 && groups !== inChannels) throw new Error(`Conv2d supports groups 1 or ${inChannels}, not ${groups}`);
    this.depthwise = groups !== 1 && groups === inChannels;
    if (this.depthwise && outChannels % inChannels !== 0) throw new Error('depthwise outChannels must be a multiple of inChannels');
    const fan = this.args.initFan === 'in' ? k * k * (inChannels / groups) : (k * k * outChannels) / groups;
    if (this.depthwise) {
      const mult = outChannels / inChannels;
      this.weight = this.addParam('weight', init.kaimingNormal([k, k, inChannels, mult], fan), 'depthwise');
    } else {
      this.weight = this.addParam('weight', init.kaimingNormal([k, k, inChannels, outChannels], fan), 'conv2d');
    }
    this.bias = this.args.bias ? this.addParam('bias', tf.zeros([outChannels])) : null;
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => {
      const { stride, dilation, padding } = this.args;
      const pad = padding as number | 'same' | 'valid';
      const x4 = x as tf.Tensor4D;
      let y = this.depthwise
        ? tf.depthwiseConv2d(x4, this.weight as tf.Tensor4D, stride, pad, 'NHWC', dilation)
        : tf.conv2d(x4, this.weight as tf.Tensor4D, stride, pad, 'NHWC', dilation);
      if (this.bias) y = tf.add(y, this.bias);
      return y;
    });
  }

  getConfig(): Record<string, unknown> {
    return { ...this.args };
  }
}
