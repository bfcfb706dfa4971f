import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, isPointwise } from './conv-geometry';
import { col2imSum } from './heap-layout';
import { inputTensor, KernelArgs } from './kernel-registration';
import { optimizationsEnabled } from '../optimizations';

/**
 * Conv2DBackpropInput for wasm, replacing the shipped kernel (a plain loop, 4–10× slower than the forward
 * convolution here): the gradient of every im2col column is one matrix product on XNNPACK,
 * dcols = dy · Wᵀ ([positions, outC] · [outC, fh·fw·inC]), and col2im adds each column back onto the
 * input pixels its tap covers. A 1×1 convolution at stride 1 needs only the product.
 * NCHW and non-float32 inputs go to the shipped kernel.
 */
export function makeConv2dBackpropInput(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args: KernelArgs) => {
    const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const { dy, filter } = args.inputs;
    if (!optimizationsEnabled() || a.dataFormat === 'NCHW' || dy?.dtype !== 'float32' || filter?.dtype !== 'float32') return shipped.kernelFunc(args);
    const g = convGeometry({
      inShape: a.inputShape,
      filterShape: filter.shape,
      strides: a.strides,
      dilations: 1,
      pad: a.pad,
      dimRoundingMode: a.dimRoundingMode,
      depthwise: false,
    });
    const [fh, fw, inC, outC] = filter.shape;
    const positions = g.batch * g.outHeight * g.outWidth;
    return tf.tidy(() => {
      const dy2 = tf.reshape(inputTensor(args, 'dy'), [positions, outC]);
      const wT = tf.transpose(tf.reshape(inputTensor(args, 'filter'), [fh * fw * inC, outC]));
      const dcols = tf.matMul(dy2, wT) as tf.Tensor2D;
      if (isPointwise(g)) return tf.reshape(dcols, a.inputShape);
      return col2imSum(dcols, g, args.backend as tf.KernelBackend);
    });
  };
}
