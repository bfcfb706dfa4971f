import * as tf from '@tensorflow/tfjs-core';
import { ConvGeometry, convGeometry, isPointwise } from './conv-geometry';
import { im2col, requireFloat32 } from './heap-layout';
import { inputTensor, KernelArgs, required } from './kernel-registration';
import { nativeConv2dFilterGradient } from './native-conv2d';
import { optimizationsEnabled } from '../optimizations';

/**
 * Conv2DBackpropFilter for wasm: dW = patchesᵀ · dy, where the patches are the input values every filter
 * tap sees at every output position ([positions, taps·inC], zeros in the padding), reshaped to
 * [fh, fw, inC, outC]. In the native kernel the patches are read from x as the product needs them
 * (native-conv2d.ts); without it they are built in the wasm heap (im2col) for one product on XNNPACK.
 */
export function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const backend = args.backend as tf.KernelBackend;
  requireFloat32(tf.Conv2DBackpropFilter, required(args.inputs, 'x'), required(args.inputs, 'dy'));
  const geometry = (xShape: number[]): ConvGeometry =>
    convGeometry({
      inShape: xShape,
      filterShape: a.filterShape,
      strides: a.strides,
      dilations: 1,
      pad: a.pad,
      dimRoundingMode: a.dimRoundingMode,
      depthwise: false,
    });
  if (a.dataFormat !== 'NCHW' && optimizationsEnabled()) {
    const x = required(args.inputs, 'x');
    const out = nativeConv2dFilterGradient(x, required(args.inputs, 'dy'), geometry(x.shape), backend);
    if (out != null) return out;
  }
  return tf.tidy(() => {
    let x = inputTensor(args, 'x') as tf.Tensor4D;
    let dy = inputTensor(args, 'dy') as tf.Tensor4D;
    if (a.dataFormat === 'NCHW') {
      x = tf.transpose(x, [0, 2, 3, 1]);
      dy = tf.transpose(dy, [0, 2, 3, 1]);
    }
    const [fh, fw, inC, outC] = a.filterShape;
    const g = geometry(x.shape);
    const positions = g.batch * g.outHeight * g.outWidth;
    const dy2 = tf.reshape(dy, [positions, outC]);
    const cols = isPointwise(g) ? tf.reshape(x, [positions, inC]) : im2col(x, g, backend);
    // colsᵀ · dy: the matrix-product override (batch-mat-mul.ts) picks the cheaper orientation.
    const dW2 = tf.matMul(cols, dy2, true, false);
    return tf.reshape(dW2, [fh, fw, inC, outC]);
  });
}
