import * as os from 'os';
import * as tf from '@tensorflow/tfjs-core';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../../../src/backend/select';
import { enableWasmThreads, requestedWasmThreads } from '../../../src/backend/wasm/threads';
import { nativeModule } from '../../../src/backend/wasm/native/module';
import { batchNormActTraining, geluFused, layerNormFused, spatialMeanFused } from '../../../src/backend/ops';
import { build, describeWithGradients, randomTensor, wasmVsCpu, weightedGradients } from './compare-backends';

/**
 * The backend as fundus-train starts it: tfjs's threaded wasm build (XNNPACK on every core) and the native
 * kernels' worker threads. Every kernel that splits its work across threads is checked against the cpu
 * backend on inputs large enough to be split (the native passes split from 2^16 values per thread).
 */

const cores = os.cpus().length;
const multiCore = cores >= 2 ? describe : describe.skip;
if (cores < 2) console.warn('skipping the threaded-backend checks: this machine has one core');

beforeAll(async () => {
  const info = await initBackend('wasm');
  expect(info.name).toBe('wasm');
  // A customGrad keeps its saved tensors, which IS_TEST's per-kernel leak check counts as a leak.
  tf.env().set('IS_TEST', false);
});

/** The native workers start asynchronously (about 20 ms); checks must not pass on one thread by accident. */
async function allThreadsReady(): Promise<void> {
  await tf.setBackend('wasm');
  const m = nativeModule(tf.backend());
  if (m == null) throw new Error('native module missing');
  for (let i = 0; i < 200 && m.pool.threads < m.pool.maxThreads; i++) await new Promise((r) => setTimeout(r, 10));
  expect(m.pool.threads).toBe(m.pool.maxThreads);
}

test('the thread count comes from FUNDUS_WASM_THREADS, else every core, at most 8', () => {
  const saved = process.env.FUNDUS_WASM_THREADS;
  try {
    process.env.FUNDUS_WASM_THREADS = '3';
    expect(requestedWasmThreads()).toBe(3);
    process.env.FUNDUS_WASM_THREADS = '64';
    expect(requestedWasmThreads()).toBe(8);
    process.env.FUNDUS_WASM_THREADS = 'many';
    expect(requestedWasmThreads()).toBe(Math.min(cores, 8));
    delete process.env.FUNDUS_WASM_THREADS;
    expect(requestedWasmThreads()).toBe(Math.min(cores, 8));
  } finally {
    if (saved === undefined) delete process.env.FUNDUS_WASM_THREADS;
    else process.env.FUNDUS_WASM_THREADS = saved;
  }
  expect(enableWasmThreads(1)).toEqual({ reason: 'one thread requested' });
});

multiCore('with every core', () => {
  beforeAll(allThreadsReady);

  test('XNNPACK runs on as many threads as cores, and the native module has a worker per extra core', () => {
    expect(wasm.getThreadsCount()).toBe(requestedWasmThreads());
    expect(nativeModule(tf.backend())!.pool.maxThreads).toBe(requestedWasmThreads());
  });

  describeWithGradients('split kernels equal cpu', () => {
    test('batch norm + SiLU in training: output and gradients', async () => {
      const x = randomTensor([8, 24, 26, 48], 1);
      const gamma = randomTensor([48], 2);
      const beta = randomTensor([48], 3);
      const f = ([xv, g, b]: tf.Tensor[]) => {
        const fused = batchNormActTraining(xv as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, 'silu');
        if (tf.getBackend() === 'wasm') expect(fused).not.toBeNull();
        if (fused) {
          tf.dispose([fused.mean, fused.variance]);
          return fused.y;
        }
        const { mean, variance } = tf.moments(xv, [0, 1, 2]);
        const y = tf.batchNorm4d(xv as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
        return tf.mul(y, tf.sigmoid(y));
      };
      const [forward] = await wasmVsCpu(() => f([build(x), build(gamma), build(beta)]));
      expect(forward).toBeLessThan(1e-5);
      for (const e of await wasmVsCpu(weightedGradients(f, [x, gamma, beta]))) expect(e).toBeLessThan(1e-4);
    });

    test('layer norm and GELU: output and gradients', async () => {
      const x = randomTensor([3, 700, 96], 4);
      const gamma = randomTensor([96], 5);
      const beta = randomTensor([96], 6);
      const f = ([xv, g, b]: tf.Tensor[]) => {
        const n = layerNormFused(xv, g as tf.Tensor1D, b as tf.Tensor1D, 1e-6);
        const y = n ?? tf.add(tf.mul(tf.div(tf.sub(xv, tf.mean(xv, -1, true)), tf.sqrt(tf.add(tf.moments(xv, -1, true).variance, 1e-6))), g), b);
        return geluFused(y) ?? tf.mul(tf.mul(y, 0.5), tf.add(tf.erf(tf.mul(y, Math.SQRT1_2)), 1));
      };
      const [forward] = await wasmVsCpu(() => f([build(x), build(gamma), build(beta)]));
      expect(forward).toBeLessThan(1e-5);
      for (const e of await wasmVsCpu(weightedGradients(f, [x, gamma, beta]))) expect(e).toBeLessThan(1e-4);
    });

    test('depthwise convolution gradients, squeeze-and-excitation pooling', async () => {
      const x = randomTensor([8, 30, 28, 40], 7);
      const w = randomTensor([3, 3, 40, 1], 8);
      const f = ([xv, wv]: tf.Tensor[]) => {
        const y = tf.depthwiseConv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, 2, 'same');
        return tf.mul(y, spatialMeanFused(y) ?? tf.mean(y, [1, 2], true));
      };
      for (const e of await wasmVsCpu(weightedGradients(f, [x, w]))) expect(e).toBeLessThan(1e-4);
    });

    test('transpose, split, concat and sums over leading axes', async () => {
      const x = randomTensor([8, 197, 96], 9);
      const errors = await wasmVsCpu(() => {
        const t = build(x);
        const parts = tf.split(t, [30, 66], 2);
        return [tf.transpose(t, [0, 2, 1]), tf.concat([parts[1], parts[0]], 2), tf.sum(t, [0, 1])];
      });
      expect(errors[0]).toBe(0);
      expect(errors[1]).toBe(0);
      expect(errors[2]).toBeLessThan(1e-5);
    });
  });
});
