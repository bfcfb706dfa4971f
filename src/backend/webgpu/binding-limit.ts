import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../util/errors';

/** WebGPU's default maxStorageBufferBindingSize (128 MiB): Dawn opens no device asked for less. */
export const DEFAULT_BINDING_BYTES = 128 * 2 ** 20;

/**
 * The environment variable that lowers the storage-buffer binding size fundus-train plans batches
 * for. For tests (a software adapter's real limit is far above what a tiny model needs) and for GPUs
 * whose driver reports more than it can bind. The device is opened with it too, but never below
 * WebGPU's 128 MiB default, which Dawn refuses.
 */
export const BINDING_LIMIT_ENV = 'FUNDUS_WEBGPU_BINDING_LIMIT_MIB';

/** The largest buffer one shader may bind on the running device, and where that number comes from. */
export interface BindingLimit {
  bytes: number;
  /** in words: "the adapter's storage-buffer binding limit" or the environment variable */
  source: string;
}

/** FUNDUS_WEBGPU_BINDING_LIMIT_MIB in bytes, or undefined when unset; a bad value is a UserError. */
export function bindingLimitOverride(): number | undefined {
  const raw = process.env[BINDING_LIMIT_ENV];
  if (raw == null || raw.trim() === '') return undefined;
  const mib = Number(raw);
  if (!Number.isFinite(mib) || mib <= 0) {
    throw new UserError(`${BINDING_LIMIT_ENV}='${raw}' is not a positive number of MiB (e.g. 256); unset it to use the adapter's limit`);
  }
  return Math.floor(mib * 2 ** 20);
}

/** The maxStorageBufferBindingSize to ask the adapter for: its maximum, or the override (at least WebGPU's default). */
export function requestedBindingBytes(adapterMax: number): number {
  const override = bindingLimitOverride();
  return override == null ? adapterMax : Math.min(adapterMax, Math.max(override, DEFAULT_BINDING_BYTES));
}

interface DeviceLimits {
  device?: { limits?: Record<string, number> };
}

/**
 * The binding limit batches must fit on the active backend, or undefined when it is not webgpu. A
 * tensor is one buffer: it must fit both the binding and the buffer size (the smaller counts).
 */
export function activeBindingLimit(): BindingLimit | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const limits = (tf.backend() as unknown as DeviceLimits).device?.limits;
  if (limits == null) return undefined;
  const device = Math.min(limits.maxStorageBufferBindingSize ?? Infinity, limits.maxBufferSize ?? Infinity);
  const override = bindingLimitOverride();
  if (override != null && override < device) return { bytes: override, source: BINDING_LIMIT_ENV };
  return { bytes: device, source: "the adapter's storage-buffer binding limit" };
}
