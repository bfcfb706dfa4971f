import * as tf from '@tensorflow/tfjs-core';
import { AdapterReport, DawnDevice, FoundAdapter, openDevice } from './dawn';

export type { AdapterReport, FoundAdapter } from './dawn';
export { findAdapter } from './dawn';

export const WEBGPU = 'webgpu';

/** The device tfjs runs on, kept so that releaseWebGpu can destroy it (Dawn keeps Node alive until then). */
let device: DawnDevice | undefined;
/** The adapter the registered webgpu backend runs on. */
let registered: AdapterReport | undefined;

/** The adapter of the registered webgpu backend (undefined before registerWebGpuBackend or after release). */
export function registeredAdapter(): AdapterReport | undefined {
  return registered;
}

/**
 * Puts what tfjs-webgpu expects of a browser on globalThis: `navigator.gpu` and the WebGPU constants
 * (GPUBufferUsage, GPUMapMode, ...). Done after tfjs-webgpu is imported, so that it does not register
 * its own backend factory (which would open a device with its own choices and become tfjs's default).
 */
function installGlobals(found: FoundAdapter): void {
  for (const [name, value] of Object.entries(found.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator == null) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator, 'gpu', { value: found.gpu, configurable: true, writable: true });
}

/**
 * Registers TensorFlow.js's webgpu backend on `found`'s adapter (the device is opened when tfjs
 * initialises the backend, with the adapter's maximum limits). tfjs-webgpu 4.22 has every kernel the
 * registered families need to train (each family's training steps are tested against cpu), and the
 * fused operations of ../ops fall back to plain ops on it, so no kernels are added.
 */
export function registerWebGpuBackend(found: FoundAdapter): void {
  const webgpu = require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
  installGlobals(found);
  if (tf.findBackendFactory(WEBGPU) != null) tf.removeBackend(WEBGPU);
  const Backend = nodeBackendClass(webgpu.WebGPUBackend);
  registered = found.report;
  tf.registerBackend(
    WEBGPU,
    async () => {
      device = await openDevice(found.adapter);
      return new Backend(device as never, found.adapter.info as never);
    },
    1,
  );
}

/**
 * tfjs-webgpu's backend, minus its browser-only synchronous read: that goes through an OffscreenCanvas,
 * which Node lacks, and WebGPU itself only reads asynchronously. Code that runs on webgpu reads with
 * `await tensor.data()`; a synchronous read gets an error that says so.
 */
function nodeBackendClass(Base: typeof import('@tensorflow/tfjs-backend-webgpu').WebGPUBackend) {
  return class NodeWebGpuBackend extends Base {
    override readSync(dataId: object): tf.backend_util.BackendValues {
      const values = (this.tensorMap.get(dataId) as { values?: tf.backend_util.BackendValues } | undefined)?.values;
      if (values != null) return values;
      throw new Error('the webgpu backend cannot read a tensor synchronously in Node (dataSync/arraySync): use await tensor.data()');
    }
  };
}

/**
 * Disposes tfjs's webgpu backend and destroys the device, so that Node can exit. Safe to call when
 * webgpu never ran; a later initBackend('webgpu') opens a fresh adapter and device.
 */
export function releaseWebGpu(): void {
  if (tf.engine().registryFactory[WEBGPU] != null || tf.engine().registry[WEBGPU] != null) tf.removeBackend(WEBGPU);
  device?.destroy();
  device = undefined;
  registered = undefined;
}
