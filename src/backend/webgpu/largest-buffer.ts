import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-webgpu's backend (4.22) the probe uses. */
interface WebGpuInternals {
  device: {
    pushErrorScope(filter: 'validation' | 'out-of-memory'): void;
    popErrorScope(): Promise<{ message: string } | null>;
    limits: Record<string, number>;
  };
  bufferManager: { acquireBuffer(size: number, usage: number, ...rest: unknown[]): unknown };
  checkCompileCompletionAsync(): Promise<void>;
}

/** GPUBufferUsage.STORAGE: the buffers shaders bind (tensors), not uniforms or staging copies. */
const STORAGE_USAGE = 0x80;
/** tfjs-webgpu's flag: kernels allocate their outputs and compile their pipelines, but dispatch nothing. */
const COMPILE_ONLY = 'WEBGPU_ENGINE_COMPILE_ONLY';

interface Meter {
  largest: number;
}
const meters = new WeakMap<object, Meter>();

/**
 * Counts the largest storage buffer tfjs-webgpu asks its buffer manager for (idempotent): every
 * tensor a kernel reads or writes passes through it, kernels' internal intermediates included, which
 * tf.profile's kernel outputs would miss.
 */
function meterOf(backend: WebGpuInternals): Meter {
  const existing = meters.get(backend);
  if (existing) return existing;
  const meter: Meter = { largest: 0 };
  const manager = backend.bufferManager;
  const acquire = manager.acquireBuffer.bind(manager);
  manager.acquireBuffer = (size, usage, ...rest) => {
    if ((usage & STORAGE_USAGE) !== 0 && size > meter.largest) meter.largest = size;
    return acquire(size, usage, ...rest);
  };
  meters.set(backend, meter);
  return meter;
}

/**
 * The byte size of the largest tensor `run` makes on the active webgpu backend, found without running
 * it: with tfjs-webgpu's compile-only mode the kernels allocate their buffers and compile their
 * pipelines (kept for the real run) but dispatch nothing, so the probe costs no GPU time and a
 * tensor over the binding limit is never bound. What `run` computes is garbage: it must only dispose
 * what it makes (and put back any variable it assigns). A Dawn validation error during the probe (a
 * buffer over the device's size limit) is kept from the device's error handler; one with every buffer
 * within that limit is thrown.
 */
export async function largestTensorOf(run: () => void): Promise<number> {
  if (tf.getBackend() !== 'webgpu') throw new Error('largestTensorOf runs on the webgpu backend only');
  const backend = tf.backend() as unknown as WebGpuInternals;
  const meter = meterOf(backend);
  const compileOnly = tf.env().getBool(COMPILE_ONLY);
  meter.largest = 0;
  backend.device.pushErrorScope('validation');
  let error: { message: string } | null;
  try {
    tf.env().set(COMPILE_ONLY, true);
    try {
      run();
    } finally {
      tf.env().set(COMPILE_ONLY, compileOnly);
      // Compile-only pipelines are promises until this resolves them; a real dispatch needs them resolved.
      await backend.checkCompileCompletionAsync();
    }
  } finally {
    error = await backend.device.popErrorScope();
  }
  if (error != null && meter.largest <= (backend.device.limits.maxBufferSize ?? Infinity))
    throw new Error(`webgpu error while measuring tensor sizes: ${error.message.split('\n')[0]}`);
  return meter.largest;
}
