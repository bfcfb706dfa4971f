import * as tf from '@tensorflow/tfjs-core';
import { MatMulShape, MIN_REWRITE_MACS } from './mat-mul-plan';
import { ACTIVATION_CODE, address, allocate, heapI32, NativeActivation, NativeModule, nativeModule, withScratch } from './native/module';

/**
 * Matrix products in fundus-train's native kernel (kernels.c, gemm): every layout of either operand read
 * where it lies (no explicit transposes), batches and a shared side through strides, the threads split over
 * blocks of the output, and optionally bias + activation in the same pass. On this project's 2-core test
 * machine it ran at 1.4–1.6× XNNPACK's speed per thread (47–49 against 26–30 GFLOP/s, 1024³ and ViT-B's
 * shapes), before counting the transposes and packing that XNNPACK's path needed around it.
 */

/** Below this many multiply-adds products stay with the shipped kernel, as before the rewrite (mat-mul-plan.ts). */
export const MIN_NATIVE_MACS = MIN_REWRITE_MACS;

/** Contraction slice of the native kernel (GEMM_KC in kernels.c): the panels' depth. */
const KC = 256;
/** Largest block of output rows and columns one task covers (A's block stays in L2, B's panels in L1/L2). */
const MAX_ROWS = 128;
const MAX_COLS = 512;
/** Tasks per thread worth aiming for, so that threads that get less of a core still finish together. */
const TASKS_PER_THREAD = 4;

/** Whether this product is big enough for the native kernel (callers check the type and the module). */
export function nativeProductApplies(s: MatMulShape): boolean {
  return s.m * s.k * s.n * Math.max(s.batchA, s.batchB) >= MIN_NATIVE_MACS;
}

/** Output block sizes: as large as the caps allow while there are enough tasks to share out. */
export function blockSizes(batch: number, m: number, n: number, threads: number): { mc: number; nc: number } {
  const roundUp = (v: number, to: number): number => Math.max(to, Math.ceil(v / to) * to);
  let mc = Math.min(MAX_ROWS, roundUp(m, 4));
  let nc = Math.min(MAX_COLS, roundUp(n, 8));
  const tasks = (): number => batch * Math.ceil(m / mc) * Math.ceil(n / nc);
  while (threads > 1 && tasks() < TASKS_PER_THREAD * threads) {
    // Halve the wider side (in units of the kernel's 4×8 tile) while it stays at least 4 tiles wide.
    if (nc / 8 >= mc / 4 && nc >= 64) nc = roundUp(nc / 2, 8);
    else if (mc >= 32) mc = roundUp(mc / 2, 4);
    else break;
  }
  return { mc, nc };
}

export interface ProductEpilogue {
  /** one value per output column, added to every row */
  bias?: tf.TensorInfo;
  activation?: NativeActivation;
}

/** How the kernel reads A (kernels.c): a strided matrix, or a convolution's patches (see native-conv2d.ts). */
export const A_MATRIX = 0;
export const A_PATCHES = 1;
export const A_PATCHES_T = 2;

/** One call of the native kernel: C [batch, m, n] = A·B, every pointer a byte offset in the wasm memory. */
export interface GemmCall {
  a: number;
  aKind?: number;
  /** the convolution's geometry, 13 ints in kernels.c's conv_geometry order, for the patch kinds */
  geometry?: number[];
  aBatch: number;
  aRow: number;
  aCol: number;
  b: number;
  bBatch: number;
  bRow: number;
  bCol: number;
  batch: number;
  m: number;
  k: number;
  n: number;
  out: number;
  bias?: number;
  activation?: NativeActivation;
}

/** Runs a GemmCall over the native threads, with each thread's packing scratch (and the geometry) in one allocation. */
export function runGemm(native: NativeModule, backend: tf.KernelBackend, call: GemmCall): void {
  const threads = native.pool.maxThreads;
  const { mc, nc } = blockSizes(call.batch, call.m, call.n, threads);
  const scratchBytes = (mc * KC + KC * nc + 32) * 4;
  withScratch(backend, GEOMETRY_BYTES + scratchBytes * threads, (base) => {
    const geometry = base;
    if (call.geometry != null) heapI32(backend, geometry, call.geometry.length).set(call.geometry);
    const scratch = base + GEOMETRY_BYTES;
    native.pool.runSplit({
      fn: 'gemm',
      args: [
        call.a,
        call.aKind ?? A_MATRIX,
        geometry,
        call.aBatch,
        call.aRow,
        call.aCol,
        call.b,
        call.bBatch,
        call.bRow,
        call.bCol,
        call.m,
        call.k,
        call.n,
        call.out,
        mc,
        nc,
        call.bias ?? 0,
        ACTIVATION_CODE[call.activation ?? 'identity'],
        0,
        0,
        0,
      ],
      total: call.batch * Math.ceil(call.m / mc) * Math.ceil(call.n / nc),
      minChunk: 1,
      start: 18,
      end: 19,
      perThread: [[20, Array.from({ length: threads }, (_, t) => scratch + t * scratchBytes)]],
    });
  });
}

/** Room for the geometry ahead of the packing scratch (16-byte aligned). */
const GEOMETRY_BYTES = 64;

/**
 * op(a)·op(b) (+ bias, activation) as a new [..batch, m, n] tensor, or null where the native module is not
 * loaded (callers then use XNNPACK). Batches pair one to one or one side is shared (matMulShape).
 */
export function nativeProduct(
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  s: MatMulShape,
  backend: tf.KernelBackend,
  epilogue: ProductEpilogue = {},
): tf.TensorInfo | null {
  const native = nativeModule(backend);
  if (native == null) return null;
  let batch = Math.max(s.batchA, s.batchB);
  let m = s.m;
  let aBatch = s.batchA === 1 ? 0 : s.m * s.k;
  const [aRow, aCol] = transposeA ? [1, s.m] : [s.k, 1];
  const [bRow, bCol] = transposeB ? [1, s.k] : [s.n, 1];
  if (s.batchB === 1 && batch > 1 && !transposeA) {
    // One b for every entry of an upright a: the entries' rows follow each other, one taller product.
    m = batch * s.m;
    batch = 1;
    aBatch = 0;
  }
  const out = allocate(backend, s.outShape);
  runGemm(native, backend, {
    a: address(backend, a),
    aBatch,
    aRow,
    aCol,
    b: address(backend, b),
    bBatch: s.batchB === 1 ? 0 : s.k * s.n,
    bRow,
    bCol,
    batch,
    m,
    k: s.k,
    n: s.n,
    out: address(backend, out),
    bias: epilogue.bias == null ? undefined : address(backend, epilogue.bias),
    activation: epilogue.activation,
  });
  return out;
}
