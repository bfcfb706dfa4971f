import * as tf from '@tensorflow/tfjs-core';

/**
 * How our wasm kernels plug into tfjs-core's kernel registry.
 *
 * A registered kernelFunc receives TensorInfos and must return TensorInfos. Ours are composed of tfjs
 * ops (plus heap copies, heap-layout.ts). The ops run inside the engine while `kernelDepth > 0`, so they
 * are not recorded on the gradient tape, and they dispatch to the active backend (wasm). Each kernel
 * body runs in `tf.tidy` and returns the one Tensor it keeps (a Tensor is a TensorInfo; the engine takes
 * it as the kernel's output as is), so no intermediate outlives the call.
 */

export type KernelArgs = Parameters<tf.KernelFunc>[0];

export const WASM = 'wasm';

/**
 * The engine hands kernels the Tensors the op was called with; a backend calling a kernel directly
 * may pass bare TensorInfos. Those get a tracked view holding its own reference, so disposing the view
 * (at the end of the caller's tidy) gives back exactly what it took.
 */
export function asTensor(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/** The kernel input called `name`; the op always supplies it, so its absence is a bug. */
export function required(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const info = inputs[name];
  if (info == null) throw new Error(`kernel input '${name}' is missing`);
  return info;
}

/** The kernel input called `name` as a Tensor (call inside tf.tidy). */
export function inputTensor(args: KernelArgs, name: string): tf.Tensor {
  return asTensor(required(args.inputs, name), args.backend as tf.KernelBackend);
}

/** Wraps the TensorInfo a backend kernel produced (it owns one reference) as a tracked Tensor. */
export function adoptOutput(info: tf.TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  if (info instanceof tf.Tensor) return info;
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/** Registers `kernelFunc` for wasm unless wasm already has this kernel (a native one is preferred). */
export function registerIfMissing(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, WASM) != null) return;
  tf.registerKernel({ kernelName, backendName: WASM, kernelFunc });
}

/** A kernelFunc that replaces a shipped one and keeps the shipped one to call for what it does well. */
export type KernelOverride = tf.KernelFunc & { shipped: tf.KernelConfig };

/** The overrides this copy of the module registered. */
const ownOverrides = new WeakSet<object>();

/**
 * Replaces wasm's `kernelName` with `makeOverride(shipped)`. Idempotent: when our override is already
 * registered (even by another copy of this module), the shipped kernel it wraps is reused, never our
 * own override, so overrides do not stack.
 */
export function overrideKernel(kernelName: string, makeOverride: (shipped: tf.KernelConfig) => tf.KernelFunc): void {
  const current = tf.getKernel(kernelName, WASM);
  if (current == null) throw new Error(`wasm has no ${kernelName} kernel to override`);
  const existing = current.kernelFunc as Partial<KernelOverride>;
  const shipped = existing.shipped ?? current;
  if (ownOverrides.has(existing)) return;
  const override = makeOverride(shipped) as KernelOverride;
  override.shipped = shipped;
  ownOverrides.add(override);
  tf.unregisterKernel(kernelName, WASM);
  // The shipped setupFunc binds the wasm export the shipped kernelFunc calls; keep it for backend re-inits.
  tf.registerKernel({ kernelName, backendName: WASM, kernelFunc: override, setupFunc: shipped.setupFunc, disposeFunc: shipped.disposeFunc });
}
