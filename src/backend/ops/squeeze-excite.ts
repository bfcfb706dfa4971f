import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../fused-kernel-names';
import { customOp, fusedKernelAvailable, runKernel, runKernels } from './native-active';

/**
 * Squeeze-and-excitation's full-size steps as one kernel each way where the backend has them (wasm with
 * fundus-train's native kernels); null elsewhere (the caller runs tfjs ops).
 */

/** x [N, H, W, C] → mean over H and W, [N, 1, 1, C] (tf.mean(x, [1, 2], true)). */
export function spatialMeanFused(x: tf.Tensor4D): tf.Tensor4D | null {
  if (!fusedKernelAvailable(FusedKernel.SpatialMeanGrad)) return null;
  const shape = x.shape;
  const forward = customOp(([xIn]) => ({
    value: runKernel(FusedKernel.SpatialMean, { x: xIn }),
    gradFunc: (dy) => [runKernel(FusedKernel.SpatialMeanGrad, { dy }, { shape })],
  }));
  return forward(x) as tf.Tensor4D;
}

/** x [N, H, W, C] scaled per image and channel by gate [N, 1, 1, C] (tf.mul(x, gate)). */
export function channelGateFused(x: tf.Tensor4D, gate: tf.Tensor4D): tf.Tensor4D | null {
  if (!fusedKernelAvailable(FusedKernel.ChannelGateGrad)) return null;
  if (gate.rank !== 4 || gate.shape[0] !== x.shape[0] || gate.shape[1] !== 1 || gate.shape[2] !== 1 || gate.shape[3] !== x.shape[3]) return null;
  const forward = customOp(([xIn, gIn], save) => {
    save([xIn, gIn]);
    return {
      // Forward: wasm's own broadcasting Multiply (XNNPACK, on its threads) measured faster than a native
      // pass (7 vs 12 ms per EfficientNet-B0 inference); the gradient is one native pass for dx and dgate.
      value: tf.mul(xIn, gIn),
      gradFunc: (dy, saved) => runKernels(FusedKernel.ChannelGateGrad, { x: saved[0], gate: saved[1], dy }),
    };
  });
  return forward(x, gate) as tf.Tensor4D;
}
