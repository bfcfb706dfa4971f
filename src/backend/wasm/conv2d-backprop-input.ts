import * as tf from '@tensorflow/tfjs-core';
import { ConvGeometry, convGeometry, isPointwise } from './conv-geometry';
import { col2imSum } from './heap-layout';
import { inputTensor, KernelArgs } from './kernel-registration';
import { optimizationsEnabled } from '../optimizations';
import { nativeConv2d } from './native-conv2d';
import { nativeModule } from './native/module';

/**
 * Conv2DBackpropInput for wasm, replacing the shipped kernel (a plain loop, 4–10× slower than the forward
 * convolution here). At stride 1 the input gradient is itself a convolution, of dy with the filter's
 * channel axes swapped, its taps walked backwards (dilation −d, padding −pad; see gradientGeometry): it
 * runs as one in the native kernel (native-conv2d.ts). Otherwise the gradient of every im2col column is one matrix product,
 * dcols = dy · Wᵀ ([positions, outC] · [outC, fh·fw·inC]), and col2im adds each column back onto the
 * input pixels its tap covers (a 1×1 convolution at stride 1 needs only the product).
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
    const backend = args.backend as tf.KernelBackend;
    if (g.strideHeight === 1 && g.strideWidth === 1 && nativeModule(backend) != null) {
      const swapped = tf.tidy(() => tf.transpose(inputTensor(args, 'filter'), [0, 1, 3, 2]));
      try {
        const dx = nativeConv2d(dy, swapped, gradientGeometry(g, outC), backend);
        if (dx != null) return dx;
      } finally {
        swapped.dispose();
      }
    }
    return tf.tidy(() => {
      const dy2 = tf.reshape(inputTensor(args, 'dy'), [positions, outC]);
      const wT = tf.transpose(tf.reshape(inputTensor(args, 'filter'), [fh * fw * inC, outC]));
      const dcols = tf.matMul(dy2, wT) as tf.Tensor2D;
      if (isPointwise(g)) return tf.reshape(dcols, a.inputShape);
      return col2imSum(dcols, g, backend);
    });
  };
}

/**
 * The convolution over dy that gives dx at stride 1: dx[ih] = Σ over taps k of dy[ih + pad − k·dilation]·W[k],
 * which is the kernels' patch reading (input row = output row·stride − pad + k·dilation) with stride 1,
 * padding −pad and dilation −dilation. (Turning the filter by 180° instead costs a tf.reverse, which the
 * shipped wasm kernel does at ~40 ns a value: 0.66 s of a resnet50 batch-8 step.)
 */
function gradientGeometry(g: ConvGeometry, outChannels: number): ConvGeometry {
  return {
    ...g,
    inHeight: g.outHeight,
    inWidth: g.outWidth,
    inChannels: outChannels,
    outHeight: g.inHeight,
    outWidth: g.inWidth,
    dilationHeight: -g.dilationHeight,
    dilationWidth: -g.dilationWidth,
    padTop: -g.padTop,
    padLeft: -g.padLeft,
  };
}
