import * as tf from '@tensorflow/tfjs-core';
import { maxPoolPadded, maxPoolPaddedFused } from '../../backend/ops';

/**
 * Max pooling with PyTorch's symmetric padding (nn.MaxPool2d(k, s, p)): the border is padded with
 * -inf explicitly and pooled 'valid', so the output size and values are PyTorch's for any input size
 * (tfjs 'same' pads asymmetrically and differs for even sizes). Its gradient is one native pass on wasm.
 */
export function maxPool2d(x: tf.Tensor4D, kernel: number, stride: number, padding: number): tf.Tensor4D {
  return maxPoolPaddedFused(x, kernel, stride, padding) ?? maxPoolPadded(x, kernel, stride, padding);
}

/** Average pooling without padding (nn.AvgPool2d(k, s)): trailing rows/columns that do not fill a window are dropped. */
export function avgPool2d(x: tf.Tensor4D, kernel: number, stride: number): tf.Tensor4D {
  return tf.avgPool(x, kernel, stride, 'valid');
}

/**
 * PyTorch's adaptive average pooling (F.adaptive_avg_pool2d) to [outH, outW]: output cell i averages
 * input rows floor(i·in/out) .. ceil((i+1)·in/out) - 1. Written as two matrix products with constant
 * averaging matrices, so it works (and differentiates) on every backend for any sizes, growing or shrinking.
 */
export function adaptiveAvgPool2d(x: tf.Tensor4D, outH: number, outW: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (h === outH && w === outW) return x;
  return tf.tidy(() => {
    const rows = tf.tensor2d(adaptiveAveragingMatrix(h, outH), [outH, h]);
    const cols = tf.tensor2d(adaptiveAveragingMatrix(w, outW), [outW, w]);
    // Rows: [outH, h] · [h, b·w·c] with the spatial row axis moved first.
    const byRows = tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, b * w * c]);
    const pooledRows = tf.reshape(tf.matMul(rows, byRows), [outH, b, w, c]);
    // Columns: [outW, w] · [w, outH·b·c].
    const byCols = tf.reshape(tf.transpose(pooledRows, [2, 0, 1, 3]), [w, outH * b * c]);
    const pooled = tf.reshape(tf.matMul(cols, byCols), [outW, outH, b, c]);
    return tf.transpose(pooled, [2, 1, 0, 3]) as tf.Tensor4D;
  });
}

/** Row-major [out, in] matrix whose row i averages PyTorch's adaptive bin i. */
export function adaptiveAveragingMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = start; j < end; j++) m[i * inSize + j] = 1 / (end - start);
  }
  return m;
}
