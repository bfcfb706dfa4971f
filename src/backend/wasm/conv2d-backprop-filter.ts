import * as tf from '@tensorflow/tfjs-core';
import { ConvGeometry, convGeometry } from './conv-geometry';
import { im2col, requireFloat32 } from './heap-layout';
import { inputTensor, KernelArgs, required } from './kernel-registration';

/**
 * Conv2DBackpropFilter for wasm, by im2col: the input values every filter tap sees at every output
 * position form a [positions, taps·inC] matrix (built in the wasm heap, zeros in the padding), and
 * dW = patchesᵀ · dy is one matrix product on XNNPACK (in whichever orientation packs the smaller
 * operand, see mat-mul-plan.ts), reshaped to [fh, fw, inC, outC].
 */
export function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const backend = args.backend as tf.KernelBackend;
  requireFloat32(tf.Conv2DBackpropFilter, required(args.inputs, 'x'), required(args.inputs, 'dy'));
  return tf.tidy(() => {
    let x = inputTensor(args, 'x') as tf.Tensor4D;
    let dy = inputTensor(args, 'dy') as tf.Tensor4D;
    if (a.dataFormat === 'NCHW') {
      x = tf.transpose(x, [0, 2, 3, 1]);
      dy = tf.transpose(dy, [0, 2, 3, 1]);
    }
    const [fh, fw, inC, outC] = a.filterShape;
    const g = convGeometry({
      inShape: x.shape,
      filterShape: a.filterShape,
      strides: a.strides,
      dilations: 1,
      pad: a.pad,
      dimRoundingMode: a.dimRoundingMode,
      depthwise: false,
    });
    const positions = g.batch * g.outHeight * g.outWidth;
    const dy2 = tf.reshape(dy, [positions, outC]);
    const cols = isPointwise(g) ? tf.reshape(x, [positions, inC]) : im2col(x, g, backend);
    // colsᵀ · dy: the matrix-product override (batch-mat-mul.ts) picks the cheaper orientation.
    const dW2 = tf.matMul(cols, dy2, true, false);
    return tf.reshape(dW2, [fh, fw, inC, outC]);
  });
}

/** A 1×1 filter at stride 1 without padding: every output position sees exactly its own input pixel. */
export function isPointwise(g: ConvGeometry): boolean {
  return (
    g.filterHeight === 1 &&
    g.filterWidth === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outHeight === g.inHeight &&
    g.outWidth === g.inWidth
  );
}
