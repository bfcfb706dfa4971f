import * as tf from '@tensorflow/tfjs-core';
import { optimizationsEnabled } from '../optimizations';
import { nativeKernels } from '../wasm/native/module';

/**
 * Whether fused kernel `kernelName` runs on the active backend: it is registered there (wasm, after
 * registerWasmTrainingKernels), the native module loads, and the optimisations are on.
 */
export function fusedKernelAvailable(kernelName: string): boolean {
  if (!optimizationsEnabled()) return false;
  const backendName = tf.getBackend();
  if (tf.getKernel(kernelName, backendName) == null) return false;
  return backendName !== 'wasm' || nativeKernels(tf.backend()) != null;
}

/** tf.engine().runKernel for kernels with several outputs. */
export function runKernels(kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor[] {
  return tf.engine().runKernel(kernelName, inputs, attrs) as unknown as tf.Tensor[];
}

export function runKernel(kernelName: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs, attrs) as tf.Tensor;
}

/** A customGrad forward: inputs and the save function in, output and its gradient function out. */
export type FusedForward = (
  inputs: tf.Tensor[],
  save: tf.GradSaveFunc,
) => {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
};

/** tf.customGrad with the inputs as an array (one gradient per input, in order). */
export function customOp(forward: FusedForward): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, gradFunc } = forward(args.slice(0, -1) as tf.Tensor[], save);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gradFunc(dy, saved) };
  });
  return (...inputs: tf.Tensor[]) => op(...inputs);
}
