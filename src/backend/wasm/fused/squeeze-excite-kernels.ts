import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../../fused-kernel-names';
import { requireFloat32 } from '../heap-layout';
import { KernelArgs, required } from '../kernel-registration';
import { address, allocate } from '../native/module';
import { MIN_VALUES_PER_THREAD, nativeFor } from './native-call';

/**
 * Squeeze-and-excitation's full-size passes on the native module (kernels.c), split by images over the
 * native threads: the mean over positions (the shipped Mean over axes 1 and 2 transposes its whole input
 * first) with its gradient, and the gradient of the per-image channel gate (dx and dgate in one pass).
 */

/** [N, H, W, C] → N, positions H·W, C */
function dims(shape: number[]): { N: number; P: number; C: number } {
  const [N, H, W, C] = shape;
  return { N, P: H * W, C };
}

/** Images worth handing to another thread. */
function minImages(perImage: number): number {
  return Math.ceil(MIN_VALUES_PER_THREAD / Math.max(1, perImage));
}

export function spatialMean(args: KernelArgs): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const x = required(args.inputs, 'x');
  requireFloat32(FusedKernel.SpatialMean, x);
  const { N, P, C } = dims(x.shape);
  const out = allocate(backend, [N, 1, 1, C]);
  const [xa, oa] = [x, out].map((t) => address(backend, t));
  m.pool.runSplit({ fn: 'spatial_mean', args: [xa, P, C, 0, 0, oa], total: N, minChunk: minImages(P * C), start: 3, end: 4 });
  return out;
}

export function spatialMeanGrad(args: KernelArgs): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const dy = required(args.inputs, 'dy');
  requireFloat32(FusedKernel.SpatialMeanGrad, dy);
  const shape = args.attrs?.shape as number[];
  const { N, P, C } = dims(shape);
  const dx = allocate(backend, shape);
  const [dya, dxa] = [dy, dx].map((t) => address(backend, t));
  m.pool.runSplit({ fn: 'spread_positions', args: [dya, P, C, 1 / P, 0, 0, dxa], total: N, minChunk: minImages(P * C), start: 4, end: 5 });
  return dx;
}

export function channelGateGrad(args: KernelArgs): tf.TensorInfo[] {
  const { m, backend } = nativeFor(args);
  const [x, gate, dy] = (['x', 'gate', 'dy'] as const).map((n) => required(args.inputs, n));
  requireFloat32(FusedKernel.ChannelGateGrad, x, gate, dy);
  const { N, P, C } = dims(x.shape);
  const dx = allocate(backend, x.shape);
  const dgate = allocate(backend, gate.shape);
  const [xa, ga, dya, dxa, dga] = [x, gate, dy, dx, dgate].map((t) => address(backend, t));
  m.pool.runSplit({ fn: 'channel_gate_grad', args: [xa, ga, dya, P, C, 0, 0, dxa, dga], total: N, minChunk: minImages(P * C), start: 5, end: 6 });
  return [dx, dgate];
}
