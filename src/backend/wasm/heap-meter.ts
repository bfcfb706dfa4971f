import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../util/errors';

/**
 * The wasm heap's ceiling: wasm32 addresses 4 GiB, and tfjs-backend-wasm 4.22's Emscripten build caps
 * its growable memory one 64 KiB page short of that.
 */
export const WASM_HEAP_MAX_BYTES = 4294901760;

/**
 * Thrown when the wasm heap cannot hold a new tensor. tfjs-backend-wasm 4.22 does not check malloc:
 * when the heap cannot grow (near 4 GiB), malloc returns 0 and the backend places the tensor at address
 * 0, over the module's own static data, the allocator's state among it. Kernels then write over that
 * state and the process crawls or hangs on one core (the "cliff" of tf_efficientnet_b4 at 380 px,
 * batch 4). Failing here instead makes it a user error (exit 2) that the trainer words for its step.
 */
export class WasmHeapExhausted extends UserError {
  /** what did not fit, without the advice */
  readonly detail: string;

  constructor(
    readonly requestedBytes: number,
    readonly heapBytes: number,
    /** bytes of tensors alive when the allocation failed */
    readonly liveBytes: number,
  ) {
    const detail = `the wasm heap is full: ${mib(requestedBytes)} MiB more did not fit (${mib(liveBytes)} MiB in use, heap ${mib(heapBytes)} MiB of at most ${mib(WASM_HEAP_MAX_BYTES)} MiB)`;
    super(`${detail}; use a smaller batch size, image size or model`);
    this.detail = detail;
    this.name = 'WasmHeapExhausted';
  }
}

/** What the meter counts: bytes allocated through the backend (tensors and kernel scratch) and their peak. */
export interface HeapMeter {
  liveBytes: number;
  peakBytes: number;
  /** the heap's size now (it only grows) */
  heapBytes(): number;
  /** starts a new peak from the bytes alive now */
  resetPeak(): void;
}

interface EmscriptenHeap {
  _malloc(bytes: number): number;
  _free(address: number): void;
  HEAPU8: Uint8Array;
}

const meters = new WeakMap<object, HeapMeter>();

/**
 * Wraps the wasm backend's malloc and free (idempotent): a failed allocation throws WasmHeapExhausted
 * instead of handing out address 0, and every allocation is counted, so that a step's peak can be
 * measured. Returns null for any other backend. The C kernels' own internal allocations (XNNPACK's
 * packing buffers) are not seen; callers keep a margin for them.
 */
export function heapMeter(backend: tf.KernelBackend = tf.backend()): HeapMeter | null {
  const wasm = (backend as unknown as { wasm?: Partial<EmscriptenHeap> }).wasm;
  if (wasm == null || typeof wasm._malloc !== 'function' || typeof wasm._free !== 'function' || wasm.HEAPU8 == null) return null;
  const existing = meters.get(wasm);
  if (existing) return existing;
  const heap = wasm as EmscriptenHeap;
  let malloc = heap._malloc;
  let free = heap._free;
  const sizes = new Map<number, number>();
  const meter: HeapMeter = {
    liveBytes: 0,
    peakBytes: 0,
    heapBytes: () => heap.HEAPU8.length,
    resetPeak: () => void (meter.peakBytes = meter.liveBytes),
  };
  const countingMalloc = (bytes: number): number => {
    const address = malloc(bytes);
    // malloc's result is signed: addresses above 2 GiB come back negative.
    if (address === 0 && bytes > 0) throw new WasmHeapExhausted(bytes, heap.HEAPU8.length, meter.liveBytes);
    sizes.set(address >>> 0, bytes);
    meter.liveBytes += bytes;
    if (meter.liveBytes > meter.peakBytes) meter.peakBytes = meter.liveBytes;
    return address;
  };
  const countingFree = (address: number): void => {
    const key = address >>> 0;
    const bytes = sizes.get(key);
    if (bytes != null) {
      sizes.delete(key);
      meter.liveBytes -= bytes;
    }
    free(address);
  };
  // Emscripten's exports are stubs that replace themselves with the raw function on their first call:
  // a setter keeps that replacement underneath the wrapper instead of over it.
  Object.defineProperty(heap, '_malloc', { configurable: true, get: () => countingMalloc, set: (f: EmscriptenHeap['_malloc']) => void (malloc = f) });
  Object.defineProperty(heap, '_free', { configurable: true, get: () => countingFree, set: (f: EmscriptenHeap['_free']) => void (free = f) });
  meters.set(wasm, meter);
  return meter;
}

const mib = (bytes: number): string => String(Math.ceil(bytes / 2 ** 20));
