import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ConvGeometry } from './conv-geometry';
import { adoptOutput } from './kernel-registration';
import type { BatchLayout } from './mat-mul-plan';

/**
 * Data movement done directly in the wasm heap. The shipped wasm kernels for it are slow: Slice copies
 * its whole input into JavaScript on every call (24 slices of a [24, 197, 197] tensor take about 39 ms,
 * one copy of the same bytes about 1 ms), StridedSlice and a rank-6 PadV2 are JavaScript loops, and
 * Concat along the channel axis copies element by element. These helpers read and write float32 heap
 * views with one pass of copies instead. All of them allocate their output through the backend and
 * return it as a tracked Tensor: call them inside tf.tidy.
 */

/** The wasm backend's heap API; throws for any other backend (our kernels are registered for wasm only). */
export function wasmHeap(backend: tf.KernelBackend): BackendWasm {
  const b = backend as Partial<BackendWasm>;
  if (typeof b.typedArrayFromHeap !== 'function' || typeof b.makeOutput !== 'function') {
    throw new Error('fundus-train wasm kernels need the wasm backend');
  }
  return backend as BackendWasm;
}

/** Throws unless every tensor is float32 (the heap views below are Float32Arrays). */
export function requireFloat32(kernelName: string, ...tensors: tf.TensorInfo[]): void {
  const other = tensors.find((t) => t.dtype !== 'float32');
  if (other != null) throw new Error(`${kernelName} on wasm supports float32 only, got ${other.dtype}`);
}

/** Batch split and stack for productByUntransposed2d, as heap copies. */
export function heapBatchLayout(backend: tf.KernelBackend): BatchLayout {
  return { unstack: (x) => unstackCopies(x, backend), stack: (parts) => stackCopies(parts, backend) };
}

function newOutput(heap: BackendWasm, backend: tf.KernelBackend, shape: number[]): tf.Tensor {
  return adoptOutput(heap.makeOutput(shape, 'float32'), backend);
}

/**
 * x (float32) split along its first axis into x.shape[0] tensors of shape x.shape.slice(1), like
 * tf.unstack, each a fresh copy.
 */
export function unstackCopies(x: tf.Tensor, backend: tf.KernelBackend): tf.Tensor[] {
  const heap = wasmHeap(backend);
  requireFloat32('unstack', x);
  const [parts, ...partShape] = x.shape;
  const partSize = tf.util.sizeFromShape(partShape);
  const out: tf.Tensor[] = [];
  for (let i = 0; i < parts; i++) out.push(newOutput(heap, backend, partShape));
  // Views are taken after every allocation: an allocation may grow the heap and detach older views.
  const source = heap.typedArrayFromHeap(x);
  out.forEach((part, i) => heap.typedArrayFromHeap(part).set(source.subarray(i * partSize, (i + 1) * partSize)));
  return out;
}

/** Parts of one shape (float32) stacked along a new first axis, like tf.stack. */
export function stackCopies(parts: tf.Tensor[], backend: tf.KernelBackend): tf.Tensor {
  const heap = wasmHeap(backend);
  requireFloat32('stack', ...parts);
  const partSize = parts[0].size;
  const out = newOutput(heap, backend, [parts.length, ...parts[0].shape]);
  const dst = heap.typedArrayFromHeap(out);
  parts.forEach((part, i) => dst.set(heap.typedArrayFromHeap(part), i * partSize));
  return out;
}

/**
 * im2col: [batch·outH·outW, fh·fw·C]; row = output position, columns = the input values under each filter
 * tap (tap-major, channels fastest), zero where the tap falls in the padding.
 */
export function im2col(x: tf.Tensor4D, g: ConvGeometry, backend: tf.KernelBackend): tf.Tensor2D {
  const heap = wasmHeap(backend);
  requireFloat32('im2col', x);
  const C = g.inChannels;
  const H = g.inHeight;
  const W = g.inWidth;
  const rows = g.batch * g.outHeight * g.outWidth;
  const out = newOutput(heap, backend, [rows, g.filterHeight * g.filterWidth * C]) as tf.Tensor2D;
  const src = heap.typedArrayFromHeap(x) as Float32Array;
  const dst = heap.typedArrayFromHeap(out) as Float32Array;
  // One view of the whole heap lets copyWithin move channel runs without allocating subarrays.
  const heapF32 = new Float32Array(src.buffer);
  const srcBase = src.byteOffset >>> 2;
  const dstBase = dst.byteOffset >>> 2;
  let d = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let i = 0; i < g.filterHeight; i++) {
          const ih = oh * g.strideHeight + i * g.dilationHeight - g.padTop;
          const rowInside = ih >= 0 && ih < H;
          const rowStart = (n * H + ih) * W;
          for (let j = 0; j < g.filterWidth; j++, d += C) {
            const iw = ow * g.strideWidth + j * g.dilationWidth - g.padLeft;
            if (!rowInside || iw < 0 || iw >= W) {
              dst.fill(0, d, d + C);
            } else if (C <= 8) {
              const s = (rowStart + iw) * C;
              for (let c = 0; c < C; c++) dst[d + c] = src[s + c];
            } else {
              const s = srcBase + (rowStart + iw) * C;
              heapF32.copyWithin(dstBase + d, s, s + C);
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * col2im, the adjoint of im2col: each [fh·fw·C] row of `cols` (one output position) is added back onto
 * the input pixels its taps cover; taps in the padding are dropped. Returns [batch, inH, inW, C].
 */
export function col2imSum(cols: tf.Tensor2D, g: ConvGeometry, backend: tf.KernelBackend): tf.Tensor4D {
  const heap = wasmHeap(backend);
  requireFloat32('col2im', cols);
  const C = g.inChannels;
  const H = g.inHeight;
  const W = g.inWidth;
  const out = newOutput(heap, backend, [g.batch, H, W, C]) as tf.Tensor4D;
  const src = heap.typedArrayFromHeap(cols) as Float32Array;
  const dst = heap.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  let s = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        for (let i = 0; i < g.filterHeight; i++) {
          const ih = oh * g.strideHeight + i * g.dilationHeight - g.padTop;
          const rowInside = ih >= 0 && ih < H;
          const rowStart = (n * H + ih) * W;
          for (let j = 0; j < g.filterWidth; j++, s += C) {
            const iw = ow * g.strideWidth + j * g.dilationWidth - g.padLeft;
            if (!rowInside || iw < 0 || iw >= W) continue;
            const d = (rowStart + iw) * C;
            for (let c = 0; c < C; c++) dst[d + c] += src[s + c];
          }
        }
      }
    }
  }
  return out;
}

/**
 * The NHWC tensor x spread out by the strides (stride−1 zero rows/columns after each of its rows/columns)
 * and seen through a window of height × width whose row r is spread row r − top (column likewise):
 * zeros wherever nothing lands, rows and columns outside the window dropped.
 */
export function spreadWindow(
  x: tf.Tensor4D,
  strideH: number,
  strideW: number,
  top: number,
  height: number,
  left: number,
  width: number,
  backend: tf.KernelBackend,
): tf.Tensor4D {
  const heap = wasmHeap(backend);
  requireFloat32('spreadWindow', x);
  const [n, h, w, c] = x.shape;
  const out = newOutput(heap, backend, [n, height, width, c]) as tf.Tensor4D;
  const src = heap.typedArrayFromHeap(x) as Float32Array;
  const dst = heap.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  const heapF32 = new Float32Array(src.buffer);
  const srcBase = src.byteOffset >>> 2;
  const dstBase = dst.byteOffset >>> 2;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < h; r++) {
      const row = top + r * strideH;
      if (row < 0 || row >= height) continue;
      for (let q = 0; q < w; q++) {
        const col = left + q * strideW;
        if (col < 0 || col >= width) continue;
        const s = ((b * h + r) * w + q) * c;
        const d = ((b * height + row) * width + col) * c;
        if (c <= 8) {
          for (let k = 0; k < c; k++) dst[d + k] = src[s + k];
        } else {
          heapF32.copyWithin(dstBase + d, srcBase + s, srcBase + s + c);
        }
      }
    }
  }
  return out;
}
