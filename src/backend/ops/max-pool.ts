import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../fused-kernel-names';
import { customOp, fusedKernelAvailable, runKernel } from './native-active';

/**
 * Max pooling with PyTorch's symmetric padding (nn.MaxPool2d(k, s, p)): forward as tfjs ops (the border
 * padded with -inf, pooled 'valid'), backward in one kernel where the backend has it (wasm with
 * fundus-train's native kernels); null elsewhere (the caller runs the tfjs ops and their gradients).
 */
export function maxPoolPaddedFused(x: tf.Tensor4D, kernel: number, stride: number, padding: number): tf.Tensor4D | null {
  if (!fusedKernelAvailable(FusedKernel.MaxPoolGrad)) return null;
  const forward = customOp(([xIn], save) => {
    save([xIn]);
    return {
      value: maxPoolPadded(xIn as tf.Tensor4D, kernel, stride, padding),
      gradFunc: (dy, [saved]) => [runKernel(FusedKernel.MaxPoolGrad, { x: saved, dy }, { kernel, stride, padding })],
    };
  });
  return forward(x) as tf.Tensor4D;
}

/** The forward pass as tfjs ops: -inf padding, then 'valid' pooling (tfjs 'same' pads asymmetrically). */
export function maxPoolPadded(x: tf.Tensor4D, kernel: number, stride: number, padding: number): tf.Tensor4D {
  return tf.tidy(() => {
    const side: [number, number] = [padding, padding];
    const padded = padding > 0 ? tf.pad(x, [[0, 0], side, side, [0, 0]], -Infinity) : x;
    return tf.maxPool(padded, kernel, stride, 'valid');
  });
}
