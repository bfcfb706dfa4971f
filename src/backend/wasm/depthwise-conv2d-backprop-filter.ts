import * as tf from '@tensorflow/tfjs-core';
import { ConvGeometry, convGeometry, geometryArgs } from './conv-geometry';
import { requireFloat32, wasmHeap } from './heap-layout';
import { adoptOutput, inputTensor, KernelArgs, required } from './kernel-registration';
import { address, allocate, heapF32, heapF64, nativeModule, withScratch } from './native/module';
import { optimizationsEnabled } from '../optimizations';

/**
 * DepthwiseConv2dNativeBackpropFilter for wasm: the filter gradient at tap (i, j) for channel c and
 * multiplier m is Σ over batch and output positions of (input under the tap, channel c) × dy(channel
 * c·M + m): per channel a dot product, as many multiply-adds as the forward convolution.
 *
 * With multiplier 1 (every model here) the sums run in the native module (kernels.c,
 * depthwise_filter_grad: SIMD over channels, float32 per output row, float64 across rows): 3×3 at
 * 112 px, 96 channels, batch 8, stride 2 takes 5 ms where the JavaScript pass below took 40 ms.
 * Otherwise (or with the optimisations off) one JavaScript pass over dy and the input in the wasm heap,
 * accumulated in float64. Measured alternatives were slower: per-tap products and sums of strided slices
 * (the shipped StridedSlice copies in JavaScript: 25× slower for a stride-2 layer), im2col plus a
 * broadcast product and a reduction (about 3×), and the depthwise convolution of the input with dy as the
 * filter (about 2×).
 */
export function depthwiseConv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const a = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const backend = args.backend as tf.KernelBackend;
  requireFloat32(tf.DepthwiseConv2dNativeBackpropFilter, required(args.inputs, 'x'), required(args.inputs, 'dy'));
  return tf.tidy(() => {
    const x = inputTensor(args, 'x') as tf.Tensor4D;
    const dy = inputTensor(args, 'dy') as tf.Tensor4D;
    const g = convGeometry({
      inShape: x.shape,
      filterShape: a.filterShape,
      strides: a.strides,
      dilations: a.dilations ?? 1,
      pad: a.pad,
      dimRoundingMode: a.dimRoundingMode,
      depthwise: true,
    });
    if (a.filterShape[3] === 1 && optimizationsEnabled()) {
      const native = nativeFilterGradient(x, dy, g, a.filterShape, backend);
      if (native != null) return native;
    }
    return sumsOverPositions(x, dy, g, a.filterShape, backend);
  });
}

/** The native sums (kernels.c, depthwise_filter_grad), split by output rows over the native threads. */
function nativeFilterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, filterShape: number[], backend: tf.KernelBackend): tf.Tensor | null {
  const m = nativeModule(backend);
  if (m == null) return null;
  const [fh, fw, C] = filterShape;
  const taps = fh * fw * C;
  const out = adoptOutput(allocate(backend, filterShape), backend);
  const [xa, dya, oa] = [x, dy, out].map((t) => address(backend, t));
  const rows = g.batch * g.outHeight;
  const threads = m.pool.maxThreads;
  // Per thread: taps float64 sums (zeroed here: the kernel adds to them), then C float32 of scratch.
  const perThread = taps * 8 + C * 4 + 8;
  withScratch(backend, threads * perThread, (s) => {
    heapF64(backend, s, (threads * perThread) / 8).fill(0);
    const starts = Array.from({ length: threads }, (_, p) => s + p * perThread);
    m.pool.runSplit({
      fn: 'depthwise_filter_grad',
      args: [xa, dya, ...geometryArgs(g), 0, 0, 0, 0],
      // Output rows worth a hand-off: at least about 2^16 values of dy.
      total: rows,
      minChunk: Math.ceil((1 << 16) / Math.max(1, g.outWidth * C)),
      start: 15,
      end: 16,
      perThread: [
        [17, starts],
        [18, starts.map((a) => a + taps * 8)],
      ],
    });
    const total = new Float64Array(taps);
    for (const start of starts) {
      const part = heapF64(backend, start, taps);
      for (let i = 0; i < taps; i++) total[i] += part[i];
    }
    heapF32(backend, oa, taps).set(total);
  });
  return out;
}

function sumsOverPositions(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, filterShape: number[], backend: tf.KernelBackend): tf.Tensor {
  const heap = wasmHeap(backend);
  const [fh, fw, C, M] = filterShape;
  const CM = C * M;
  const H = g.inHeight;
  const W = g.inWidth;
  const sums = new Float64Array(fh * fw * CM);
  const xs = heap.typedArrayFromHeap(x) as Float32Array;
  const ys = heap.typedArrayFromHeap(dy) as Float32Array;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++) {
        const yo = ((n * g.outHeight + oh) * g.outWidth + ow) * CM;
        for (let i = 0; i < fh; i++) {
          const ih = oh * g.strideHeight + i * g.dilationHeight - g.padTop;
          if (ih < 0 || ih >= H) continue;
          for (let j = 0; j < fw; j++) {
            const iw = ow * g.strideWidth + j * g.dilationWidth - g.padLeft;
            if (iw < 0 || iw >= W) continue;
            const xo = ((n * H + ih) * W + iw) * C;
            const so = (i * fw + j) * CM;
            if (M === 1) {
              for (let c = 0; c < C; c++) sums[so + c] += xs[xo + c] * ys[yo + c];
            } else {
              for (let c = 0; c < C; c++) {
                const xv = xs[xo + c];
                for (let m = 0; m < M; m++) sums[so + c * M + m] += xv * ys[yo + c * M + m];
              }
            }
          }
        }
      }
    }
  }
  const out = adoptOutput(heap.makeOutput([fh, fw, C, M], 'float32'), backend);
  heap.typedArrayFromHeap(out).set(sums);
  return out;
}
