import * as tf from '@tensorflow/tfjs-core';
import { setFlagsFromString } from 'v8';
import { wasmHeap } from '../heap-layout';
import { KERNELS_WASM_BASE64 } from './kernels-binary';
import { NativePool } from './parallel';
import { requestedWasmThreads } from '../threads';

/**
 * The exports of kernels.c (see that file for what each computes). Every pointer is a byte offset into
 * the wasm backend's memory; `double *` scratch must be 8-byte aligned (tfjs's allocator aligns to 16).
 */
export interface NativeExports {
  channel_sums(x: number, rows: number, C: number, shift: number, acc: number): void;
  spatial_mean(x: number, P: number, C: number, n0: number, n1: number, out: number): void;
  spread_positions(dy: number, P: number, C: number, scale: number, n0: number, n1: number, dx: number): void;
  max_pool_grad(
    x: number,
    dy: number,
    H: number,
    W: number,
    C: number,
    outH: number,
    outW: number,
    k: number,
    stride: number,
    pad: number,
    n0: number,
    n1: number,
    dx: number,
  ): void;
  channel_gate_grad(x: number, gate: number, dy: number, P: number, C: number, n0: number, n1: number, dx: number, dgate: number): void;
  scale_shift_act(x: number, rows: number, C: number, scale: number, shift: number, act: number, y: number): void;
  norm_act_grad_sums(
    x: number,
    dy: number,
    rows: number,
    C: number,
    mean: number,
    invstd: number,
    gamma: number,
    beta: number,
    act: number,
    gOut: number,
    acc: number,
    part: number,
  ): void;
  affine_rows(g: number, x: number, rows: number, C: number, a: number, b: number, d: number, out: number): void;
  layer_norm(x: number, rows: number, D: number, gamma: number, beta: number, eps: number, y: number, mean: number, rstd: number): void;
  layer_norm_grad(
    x: number,
    dy: number,
    rows: number,
    D: number,
    mean: number,
    rstd: number,
    gamma: number,
    dx: number,
    acc: number,
    part: number,
  ): void;
  add_relu(a: number, b: number, n: number, y: number): void;
  relu_backward(y: number, dy: number, n: number, dx: number): void;
  softmax_backward(y: number, dy: number, rows: number, D: number, dx: number): void;
  gemm(
    a: number,
    aKind: number,
    geometry: number,
    aBatch: number,
    aRow: number,
    aCol: number,
    b: number,
    bBatch: number,
    bRow: number,
    bCol: number,
    M: number,
    K: number,
    N: number,
    c: number,
    mc: number,
    nc: number,
    bias: number,
    act: number,
    t0: number,
    t1: number,
    scratch: number,
  ): void;
  gelu(x: number, n: number, y: number): void;
  gelu_backward(x: number, dy: number, n: number, dx: number): void;
  depthwise_filter_grad(
    x: number,
    dy: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    KH: number,
    KW: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
    pt: number,
    pl: number,
    row0: number,
    row1: number,
    acc: number,
    part: number,
  ): void;
  depthwise_input_grad(
    dy: number,
    filter: number,
    H: number,
    W: number,
    C: number,
    OH: number,
    OW: number,
    KH: number,
    KW: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
    pt: number,
    pl: number,
    n0: number,
    n1: number,
    dx: number,
  ): void;
  copy_rows(src: number, rows: number, srcStride: number, len: number, dstStride: number, dst: number): void;
  column_sums(x: number, rows: number, C: number, acc: number): void;
  transpose_swap(x: number, A: number, R: number, C: number, D: number, r0: number, r1: number, y: number): void;
  adam_update(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    b2: number,
    c1: number,
    c2: number,
    eps: number,
    sqrtBc2: number,
    step: number,
    l2: number,
    lrWd: number,
    pOut: number,
    mOut: number,
    vOut: number,
  ): void;
}

/** The native module for one backend: its exports on this thread and the pool that also runs them on workers. */
export interface NativeModule {
  k: NativeExports;
  pool: NativePool;
  /** whether the matrix products' multiply-adds are fused (the relaxed-SIMD build, see kernelBytes) */
  fma: boolean;
}

/** Activation codes of kernels.c. */
export const ACTIVATION_CODE = { identity: 0, silu: 1, relu: 2 } as const;
export type NativeActivation = keyof typeof ACTIVATION_CODE;

/** The parts of the WebAssembly JavaScript API used here (TypeScript's ES2022 lib does not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  validate: (bytes: Uint8Array) => boolean;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The wasm backend's Emscripten module, as far as finding its memory goes. */
interface EmscriptenModule {
  /** the threaded build's (shared) memory */
  wasmMemory?: WasmMemory;
  /** the single-threaded build's memory, exported by its wasm module */
  asm?: { memory?: WasmMemory };
}

/** One instance per backend memory; null when this runtime cannot instantiate the module. */
const instances = new WeakMap<WasmMemory, NativeModule | null>();

/**
 * The native module bound to `backend`'s memory, instantiated on first use (with worker threads when the
 * memory is shared, see parallel.ts); null when the backend is not wasm or the module cannot be
 * instantiated here (then callers use their tfjs-op fallbacks).
 */
export function nativeModule(backend: tf.KernelBackend): NativeModule | null {
  const module = (backend as unknown as { wasm?: EmscriptenModule }).wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let native = instances.get(memory);
  if (native === undefined) {
    native = instantiate(memory);
    instances.set(memory, native);
  }
  return native;
}

/** The native exports on this thread (see nativeModule). */
export function nativeKernels(backend: tf.KernelBackend): NativeExports | null {
  return nativeModule(backend)?.k ?? null;
}

function instantiate(memory: WasmMemory): NativeModule | null {
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  let compiled: object;
  let exports: Record<string, unknown>;
  let fma: boolean;
  try {
    const kernels = kernelBytes(shared);
    fma = kernels.fma;
    compiled = new WebAssembly.Module(kernels.bytes);
    exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
  } catch {
    return null;
  }
  // Workers only where they can share the memory: with the threaded tfjs build.
  const workers = shared ? requestedWasmThreads() - 1 : 0;
  return { k: exports as unknown as NativeExports, pool: new NativePool(exports, compiled, memory, workers), fma };
}

/**
 * The module to load: the build whose matrix products use relaxed SIMD's fused multiply-add (V8 emits one
 * vfmadd where the CPU has FMA3, the same in both its compilers, so results repeat on one machine), where
 * this runtime takes relaxed SIMD. Node 22's V8 does by default; Node 20's only with
 * --experimental-wasm-relaxed-simd, which is turned on here (it affects only modules compiled afterwards).
 * FUNDUS_WASM_FMA=0 loads the plain-SIMD build instead, whose sums round the same on every CPU.
 */
function kernelBytes(shared: boolean): { bytes: Uint8Array; fma: boolean } {
  const pick = (variant: 'fma' | 'plain'): Uint8Array => Buffer.from(KERNELS_WASM_BASE64[variant][shared ? 'shared' : 'plain'], 'base64');
  if (process.env.FUNDUS_WASM_FMA !== '0') {
    const bytes = pick('fma');
    if (!WebAssembly.validate(bytes)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    if (WebAssembly.validate(bytes)) return { bytes, fma: true };
  }
  return { bytes: pick('plain'), fma: false };
}

/** The byte offset of a float32 tensor's data in the wasm memory. */
export function address(backend: tf.KernelBackend, t: tf.TensorInfo): number {
  return wasmHeap(backend).typedArrayFromHeap(t).byteOffset;
}

/** A new tensor of `shape` in the backend (uninitialised), as a TensorInfo the caller owns. */
export function allocate(backend: tf.KernelBackend, shape: number[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
  return wasmHeap(backend).makeOutput(shape, dtype);
}

/** The backend's memory as it is now (a later allocation may grow it and leave views of this one stale). */
function heapBuffer(backend: tf.KernelBackend): ArrayBufferLike {
  return (wasmHeap(backend).wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer;
}

/** A float64 view of `length` values at byte offset `at` of the backend's memory (use it at once). */
export function heapF64(backend: tf.KernelBackend, at: number, length: number): Float64Array {
  return new Float64Array(heapBuffer(backend), at, length);
}

/** An int32 view, as heapF64. */
export function heapI32(backend: tf.KernelBackend, at: number, length: number): Int32Array {
  return new Int32Array(heapBuffer(backend), at, length);
}

/** A float32 view, as heapF64. */
export function heapF32(backend: tf.KernelBackend, at: number, length: number): Float32Array {
  return new Float32Array(heapBuffer(backend), at, length);
}

/**
 * Runs `body` with `bytes` of scratch memory (8-byte aligned) and frees it afterwards, whatever happens.
 * The address must not be kept: the memory is reused.
 */
export function withScratch<T>(backend: tf.KernelBackend, bytes: number, body: (address: number) => T): T {
  const info = allocate(backend, [Math.max(1, Math.ceil(bytes / 4))]);
  try {
    return body(address(backend, info));
  } finally {
    backend.disposeData(info.dataId);
  }
}
