import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from '../../../src/backend/gradients';
import { Rng } from '../../../src/util/random';
import { relativeError } from '../../helpers/numeric';

export { relativeError };

/**
 * Helpers for checking wasm kernels against the cpu backend. Values travel between backends as plain
 * arrays: each computation builds its tensors on the backend it runs on.
 */

// IS_TEST makes the engine check after every kernel that it left no data behind on the backend
// (and silences the cpu backend's advertisement for tfjs-node).
tf.env().set('IS_TEST', true);

/**
 * Whether tf.grad works in this installation (tfjs-core's gradient functions come from
 * @tensorflow/tfjs-layers, see src/backend/gradients.ts). Tests through tf.grad need it; the kernels
 * themselves are also checked by direct kernel calls, which do not.
 */
export const GRADIENTS_AVAILABLE = ((): boolean => {
  try {
    registerGradients();
    return true;
  } catch (e) {
    console.warn(`skipping tests through tf.grad: ${(e as Error).message}`);
    return false;
  }
})();
export const describeWithGradients = GRADIENTS_AVAILABLE ? describe : describe.skip;

export type BackendUnderTest = 'wasm' | 'cpu';

/** A tensor's contents on the host, so that it can be rebuilt on any backend. */
export interface HostTensor {
  shape: number[];
  values: Float32Array | Int32Array;
  dtype: 'float32' | 'int32';
}

export function randomTensor(shape: number[], seed: number, purpose = 'values'): HostTensor {
  const rng = Rng.create(seed, purpose);
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return { shape, values, dtype: 'float32' };
}

export function intTensor(shape: number[], values: number[]): HostTensor {
  return { shape, values: Int32Array.from(values), dtype: 'int32' };
}

export function build(h: HostTensor): tf.Tensor {
  return tf.tensor(h.values, h.shape, h.dtype);
}

/** Runs `compute` on `backend` and returns its outputs as host arrays (shapes checked by the caller). */
export async function runOn(backend: BackendUnderTest, compute: () => tf.Tensor | tf.Tensor[]): Promise<{ shape: number[]; values: Float32Array }[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(compute);
  const list = Array.isArray(out) ? out : [out];
  const host = list.map((t) => ({ shape: t.shape, values: Float32Array.from(t.dataSync()) }));
  tf.dispose(list);
  return host;
}

/**
 * Gradients of Σ w ⊙ f(xs) with respect to each of `xs` (w: fixed random weights, so that dy is not
 * all ones), with `constants` available to f but not differentiated.
 */
export function weightedGradients(
  f: (xs: tf.Tensor[], constants: tf.Tensor[]) => tf.Tensor,
  xs: HostTensor[],
  constants: HostTensor[] = [],
  seed = 7,
): () => tf.Tensor[] {
  return () => {
    const vars = xs.map(build);
    const consts = constants.map(build);
    const g = tf.grads((...args: tf.Tensor[]) => {
      const y = f(args, consts);
      const w = build(randomTensor(y.shape, seed, 'dy'));
      return tf.sum(tf.mul(y, w));
    });
    return g(vars);
  };
}

/** Relative error of wasm against cpu for each output of the same computation. */
export async function wasmVsCpu(compute: () => tf.Tensor | tf.Tensor[]): Promise<number[]> {
  const wasm = await runOn('wasm', compute);
  const cpu = await runOn('cpu', compute);
  return wasm.map((w, i) => {
    expect(w.shape).toEqual(cpu[i].shape);
    return relativeError(w.values, cpu[i].values);
  });
}
