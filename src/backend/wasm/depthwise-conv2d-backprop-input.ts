import * as tf from '@tensorflow/tfjs-core';
import { convGeometry, geometryArgs } from './conv-geometry';
import { requireFloat32, spreadWindow } from './heap-layout';
import { adoptOutput, inputTensor, KernelArgs, required } from './kernel-registration';
import { address, allocate, nativeModule } from './native/module';
import { optimizationsEnabled } from '../optimizations';

/**
 * DepthwiseConv2dNativeBackpropInput for wasm: the input gradient is a stride-1 depthwise convolution
 * (same dilation) of dy with the filter flipped in both spatial axes, where dy is first spread out by
 * the stride (zeros between its rows and columns) and zero-padded so that every input pixel sees each
 * output it contributed to. With a channel multiplier M the convolution yields C·M channels, summed in
 * groups of M.
 *
 * With multiplier 1 and the optimisations on, the native module (kernels.c, depthwise_input_grad) adds
 * filter·dy onto the input pixels each output position read, in one pass: no spread-out copy of dy, no
 * flipped filter.
 */
export function depthwiseConv2dBackpropInput(args: KernelArgs): tf.TensorInfo {
  const a = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  requireFloat32(tf.DepthwiseConv2dNativeBackpropInput, required(args.inputs, 'dy'), required(args.inputs, 'filter'));
  return tf.tidy(() => {
    const dy = inputTensor(args, 'dy') as tf.Tensor4D;
    const filter = inputTensor(args, 'filter') as tf.Tensor4D;
    const [fh, fw, channels, multiplier] = filter.shape;
    const g = convGeometry({
      inShape: a.inputShape,
      filterShape: filter.shape,
      strides: a.strides,
      dilations: a.dilations ?? 1,
      pad: a.pad,
      dimRoundingMode: a.dimRoundingMode,
      depthwise: true,
    });
    if (multiplier === 1 && optimizationsEnabled()) {
      const backend = args.backend as tf.KernelBackend;
      const m = nativeModule(backend);
      if (m != null) {
        const dx = adoptOutput(allocate(backend, a.inputShape), backend);
        const [dya, fa, dxa] = [dy, filter, dx].map((t) => address(backend, t));
        // Images are independent (a chunk writes only its own images' dx).
        const perImage = g.outHeight * g.outWidth * channels;
        m.pool.runSplit({
          fn: 'depthwise_input_grad',
          args: [dya, fa, ...geometryArgs(g), 0, 0, dxa],
          total: g.batch,
          minChunk: Math.ceil((1 << 16) / Math.max(1, perImage)),
          start: 15,
          end: 16,
        });
        return dx;
      }
    }
    // Input row h receives dy row (h + padTop − i·dilation)/stride from tap i; with the filter flipped, the
    // window starts (fh−1)·dilation − padTop rows before dy's first row and spans inH + (fh−1)·dilation rows.
    const reachH = (fh - 1) * g.dilationHeight;
    const reachW = (fw - 1) * g.dilationWidth;
    const padded = spreadWindow(
      dy,
      g.strideHeight,
      g.strideWidth,
      reachH - g.padTop,
      g.inHeight + reachH,
      reachW - g.padLeft,
      g.inWidth + reachW,
      args.backend as tf.KernelBackend,
    );
    const flipped = tf.reshape(tf.reverse(filter, [0, 1]), [fh, fw, channels * multiplier, 1]) as tf.Tensor4D;
    const dx = tf.depthwiseConv2d(padded, flipped, 1, 'valid', 'NHWC', [g.dilationHeight, g.dilationWidth]);
    if (multiplier === 1) return dx;
    return tf.sum(tf.reshape(dx, [g.batch, g.inHeight, g.inWidth, channels, multiplier]), 4);
  });
}
