import * as tf from '@tensorflow/tfjs-core';
import { FusedKernel } from '../../fused-kernel-names';
import { requireFloat32 } from '../heap-layout';
import { KernelArgs, required } from '../kernel-registration';
import { MIN_VALUES_PER_THREAD, nativeFor } from './native-call';
import { ACTIVATION_CODE, address, allocate, heapF32, heapF64, NativeActivation, withScratch } from '../native/module';

/**
 * Batch and layer normalisation kernels on the native module (kernels.c): one or two passes over the
 * tensor, split by rows over the native threads, where the tfjs composition runs 10–20 kernels with a
 * full-size intermediate each. Per-channel sums come back from each thread as float64 and are combined
 * here.
 */

/** rows × channels of a tensor whose last axis is the channel axis */
function rowsOf(x: tf.TensorInfo): { rows: number; C: number } {
  const C = x.shape[x.shape.length - 1];
  return { rows: C === 0 ? 0 : tf.util.sizeFromShape(x.shape) / C, C };
}

/** Rows worth handing to another thread: MIN_VALUES_PER_THREAD values. */
function minRows(C: number): number {
  return Math.ceil(MIN_VALUES_PER_THREAD / Math.max(1, C));
}

function activationCode(attrs: tf.NamedAttrMap | undefined): number {
  const name = (attrs?.activation ?? 'identity') as NativeActivation;
  const code = ACTIVATION_CODE[name];
  if (code === undefined) throw new Error(`unknown activation '${String(name)}'`);
  return code;
}

/**
 * Per-thread accumulators: `threads` blocks of 2·width float64 sums (zeroed here: the kernels add to
 * them), then `threads` blocks of 2·width float32 scratch.
 */
class ThreadSums {
  readonly bytes: number;
  constructor(
    readonly threads: number,
    readonly width: number,
  ) {
    this.bytes = threads * width * 24;
  }
  acc(base: number): number[] {
    return Array.from({ length: this.threads }, (_, p) => base + p * this.width * 16);
  }
  part(base: number): number[] {
    return Array.from({ length: this.threads }, (_, p) => base + this.threads * this.width * 16 + p * this.width * 8);
  }
  zero(backend: tf.KernelBackend, base: number): void {
    heapF64(backend, base, this.threads * 2 * this.width).fill(0);
  }
  /** Σ over the threads, as two float64 arrays of width (the first and second half of each block). */
  combine(backend: tf.KernelBackend, base: number): [Float64Array, Float64Array] {
    const all = heapF64(backend, base, this.threads * 2 * this.width);
    const first = new Float64Array(this.width);
    const second = new Float64Array(this.width);
    for (let p = 0; p < this.threads; p++) {
      for (let c = 0; c < this.width; c++) {
        first[c] += all[p * 2 * this.width + c];
        second[c] += all[p * 2 * this.width + this.width + c];
      }
    }
    return [first, second];
  }
}

export function channelMoments(args: KernelArgs): tf.TensorInfo[] {
  const { m, backend } = nativeFor(args);
  const x = required(args.inputs, 'x');
  requireFloat32(FusedKernel.ChannelMoments, x);
  const { rows, C } = rowsOf(x);
  const mean = allocate(backend, [C]);
  const variance = allocate(backend, [C]);
  const sums = new ThreadSums(m.pool.maxThreads, C);
  const xa = address(backend, x);
  withScratch(backend, sums.bytes, (s) => {
    sums.zero(backend, s);
    // Every thread shifts by row 0 of x, so that their sums add up.
    m.pool.runSplit({
      fn: 'channel_sums',
      args: [xa, 0, C, xa, 0],
      total: rows,
      minChunk: minRows(C),
      offsets: [[0, C * 4]],
      count: 1,
      perThread: [[4, sums.acc(s)]],
    });
    const [sum, sq] = sums.combine(backend, s);
    const shift = heapF32(backend, xa, C);
    const meanOut = heapF32(backend, address(backend, mean), C);
    const varOut = heapF32(backend, address(backend, variance), C);
    for (let c = 0; c < C; c++) {
      const mu = sum[c] / rows;
      meanOut[c] = mu + shift[c];
      varOut[c] = Math.max(sq[c] / rows - mu * mu, 0);
    }
  });
  return [mean, variance];
}

/**
 * act(x·scale + shift) with scale = gamma/sqrt(variance + eps) and shift = beta − mean·scale per channel
 * (computed here in float64), applied in one pass split by rows over the native threads.
 */
export function normAct(args: KernelArgs): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const [x, mean, variance, gamma, beta] = (['x', 'mean', 'variance', 'gamma', 'beta'] as const).map((n) => required(args.inputs, n));
  requireFloat32(FusedKernel.NormAct, x, mean, variance, gamma, beta);
  const { rows, C } = rowsOf(x);
  const eps = (args.attrs?.eps ?? 1e-5) as number;
  const y = allocate(backend, x.shape);
  const [xa, ya, ma, va, ga, ba] = [x, y, mean, variance, gamma, beta].map((t) => address(backend, t));
  const act = activationCode(args.attrs);
  withScratch(backend, 8 * C, (s) => {
    const [mu, v, g, b] = [ma, va, ga, ba].map((at) => heapF32(backend, at, C));
    const coef = heapF32(backend, s, 2 * C);
    for (let c = 0; c < C; c++) {
      const scale = g[c] / Math.sqrt(v[c] + eps);
      coef[c] = scale;
      coef[C + c] = b[c] - mu[c] * scale;
    }
    m.pool.runSplit({
      fn: 'scale_shift_act',
      args: [xa, 0, C, s, s + 4 * C, act, ya],
      total: rows,
      minChunk: minRows(C),
      offsets: [
        [0, C * 4],
        [6, C * 4],
      ],
      count: 1,
    });
  });
  return y;
}

/**
 * Gradient of act(batchNorm(x)) (see norm_act_grad_sums in kernels.c): the sums Σg and Σg·xhat per
 * channel give dbeta and dgamma, and the coefficients of dx = a·g + b·x + d. In training the batch
 * statistics depend on x: dx = gamma·invstd·(g − Σg/n − xhat·Σg·xhat/n); with fixed statistics
 * dx = gamma·invstd·g.
 */
export function normActGrad(args: KernelArgs): tf.TensorInfo[] {
  const { m, backend } = nativeFor(args);
  const names = ['x', 'dy', 'mean', 'invstd', 'gamma', 'beta'] as const;
  const [x, dy, mean, invstd, gamma, beta] = names.map((n) => required(args.inputs, n));
  requireFloat32(FusedKernel.NormActGrad, x, dy, mean, invstd, gamma, beta);
  const { rows, C } = rowsOf(x);
  const dx = allocate(backend, x.shape);
  const dgamma = allocate(backend, [C]);
  const dbeta = allocate(backend, [C]);
  const training = Boolean(args.attrs?.training);
  const act = activationCode(args.attrs);
  const [xa, dya, ma, ia, ga, ba, dxa] = [x, dy, mean, invstd, gamma, beta, dx].map((t) => address(backend, t));
  const sums = new ThreadSums(m.pool.maxThreads, C);
  // After the sums: the coefficients a, b, d (float32, 3·C).
  withScratch(backend, sums.bytes + 12 * C, (s) => {
    sums.zero(backend, s);
    m.pool.runSplit({
      fn: 'norm_act_grad_sums',
      args: [xa, dya, 0, C, ma, ia, ga, ba, act, dxa, 0, 0],
      total: rows,
      minChunk: minRows(C),
      offsets: [
        [0, C * 4],
        [1, C * 4],
        [9, C * 4],
      ],
      count: 2,
      perThread: [
        [10, sums.acc(s)],
        [11, sums.part(s)],
      ],
    });
    const [sg, sgx] = sums.combine(backend, s);
    const coef = s + sums.bytes;
    const abd = heapF32(backend, coef, 3 * C);
    const g = heapF32(backend, ga, C);
    const inv = heapF32(backend, ia, C);
    const mu = heapF32(backend, ma, C);
    const dgOut = heapF32(backend, address(backend, dgamma), C);
    const dbOut = heapF32(backend, address(backend, dbeta), C);
    for (let c = 0; c < C; c++) {
      dgOut[c] = sgx[c];
      dbOut[c] = sg[c];
      const k = g[c] * inv[c];
      const b = training ? (-k * inv[c] * sgx[c]) / rows : 0;
      abd[c] = k;
      abd[C + c] = b;
      abd[2 * C + c] = training ? (-k * sg[c]) / rows - b * mu[c] : 0;
    }
    m.pool.runSplit({
      fn: 'affine_rows',
      args: [dxa, xa, 0, C, coef, coef + 4 * C, coef + 8 * C, dxa],
      total: rows,
      minChunk: minRows(C),
      offsets: [
        [0, C * 4],
        [1, C * 4],
        [7, C * 4],
      ],
      count: 2,
    });
  });
  return [dx, dgamma, dbeta];
}

export function layerNorm(args: KernelArgs): tf.TensorInfo[] {
  const { m, backend } = nativeFor(args);
  const [x, gamma, beta] = (['x', 'gamma', 'beta'] as const).map((n) => required(args.inputs, n));
  requireFloat32(FusedKernel.LayerNorm, x, gamma, beta);
  const { rows, C } = rowsOf(x);
  const y = allocate(backend, x.shape);
  const mean = allocate(backend, [rows]);
  const rstd = allocate(backend, [rows]);
  const [xa, ga, ba, ya, ma, ra] = [x, gamma, beta, y, mean, rstd].map((t) => address(backend, t));
  const eps = (args.attrs?.eps ?? 1e-5) as number;
  m.pool.runSplit({
    fn: 'layer_norm',
    args: [xa, 0, C, ga, ba, eps, ya, ma, ra],
    total: rows,
    minChunk: minRows(C),
    offsets: [
      [0, C * 4],
      [6, C * 4],
      [7, 4],
      [8, 4],
    ],
    count: 1,
  });
  return [y, mean, rstd];
}

export function layerNormGrad(args: KernelArgs): tf.TensorInfo[] {
  const { m, backend } = nativeFor(args);
  const [x, dy, mean, rstd, gamma] = (['x', 'dy', 'mean', 'rstd', 'gamma'] as const).map((n) => required(args.inputs, n));
  requireFloat32(FusedKernel.LayerNormGrad, x, dy, mean, rstd, gamma);
  const { rows, C } = rowsOf(x);
  const dx = allocate(backend, x.shape);
  const dgamma = allocate(backend, [C]);
  const dbeta = allocate(backend, [C]);
  const [xa, dya, ma, ra, ga, dxa] = [x, dy, mean, rstd, gamma, dx].map((t) => address(backend, t));
  const sums = new ThreadSums(m.pool.maxThreads, C);
  withScratch(backend, sums.bytes, (s) => {
    sums.zero(backend, s);
    m.pool.runSplit({
      fn: 'layer_norm_grad',
      args: [xa, dya, 0, C, ma, ra, ga, dxa, 0, 0],
      total: rows,
      minChunk: minRows(C),
      offsets: [
        [0, C * 4],
        [1, C * 4],
        [4, 4],
        [5, 4],
        [7, C * 4],
      ],
      count: 2,
      perThread: [
        [8, sums.acc(s)],
        [9, sums.part(s)],
      ],
    });
    const [sgx, sg] = sums.combine(backend, s);
    heapF32(backend, address(backend, dgamma), C).set(sgx);
    heapF32(backend, address(backend, dbeta), C).set(sg);
  });
  return [dx, dgamma, dbeta];
}

/** Softmax's gradient over the last axis, rows split over the native threads. */
export function softmaxGrad(args: KernelArgs): tf.TensorInfo {
  const { m, backend } = nativeFor(args);
  const y = required(args.inputs, 'y');
  const dy = required(args.inputs, 'dy');
  requireFloat32(FusedKernel.SoftmaxGrad, y, dy);
  const D = y.shape[y.shape.length - 1];
  const rows = tf.util.sizeFromShape(y.shape) / D;
  const dx = allocate(backend, y.shape);
  const [ya, dya, dxa] = [y, dy, dx].map((t) => address(backend, t));
  m.pool.runSplit({
    fn: 'softmax_backward',
    args: [ya, dya, 0, D, dxa],
    total: rows,
    minChunk: minRows(D),
    offsets: [
      [0, D * 4],
      [1, D * 4],
      [4, D * 4],
    ],
    count: 2,
  });
  return dx;
}
