import * as tf from '@tensorflow/tfjs-core';
import { ConvGeometry, convGeometry, geometryArgs, isPointwise } from './conv-geometry';
import { KernelArgs, required } from './kernel-registration';
import { optimizationsEnabled } from '../optimizations';
import { A_MATRIX, A_PATCHES, A_PATCHES_T, GemmCall, runGemm } from './native-mat-mul';
import { address, allocate, nativeModule } from './native/module';

/**
 * Convolutions as products in the native matrix kernel (native-mat-mul.ts) without an im2col copy: the
 * kernel packs its panels of A straight from the NHWC input (kernels.c, pack_patches). The forward pass is
 * patches·W ([positions, taps·inC] · [taps·inC, outC]), the filter gradient patchesᵀ·dy; a 1×1 filter at
 * stride 1 reads the input as the matrix it already is.
 */

/**
 * Below this many output positions, a 1×1 convolution (squeeze-and-excitation's, on pooled [batch, 1, 1, C])
 * stays with XNNPACK: its call, with the weights packed once and cached, costs half of a native call's
 * set-up and packing (0.06 against 0.13 ms for [8, 1, 1, 1152] → 48). Only 1×1: the shipped kernel gets
 * non-square filters with numeric padding wrong (a 3×5 filter with pad 1 or 2 differs from cpu by ~20–30 on
 * values of order 10).
 */
export const MIN_NATIVE_POSITIONS = 64;

/** Where A comes from: x itself (pointwise, read upright or transposed) or its patches. */
function patchSource(x: number, g: ConvGeometry, transposed: boolean): Pick<GemmCall, 'a' | 'aKind' | 'geometry' | 'aBatch' | 'aRow' | 'aCol'> {
  if (isPointwise(g)) {
    const C = g.inChannels;
    return { a: x, aKind: A_MATRIX, aBatch: 0, aRow: transposed ? 1 : C, aCol: transposed ? C : 1 };
  }
  return { a: x, aKind: transposed ? A_PATCHES_T : A_PATCHES, geometry: geometryArgs(g), aBatch: 0, aRow: 0, aCol: 0 };
}

/** conv2d(x, filter) (NHWC) in the native kernel, or null where the module is not loaded. */
export function nativeConv2d(x: tf.TensorInfo, filter: tf.TensorInfo, g: ConvGeometry, backend: tf.KernelBackend): tf.TensorInfo | null {
  const positions = g.batch * g.outHeight * g.outWidth;
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const outC = filter.shape[3];
  return patchProduct(backend, x, g, false, filter, positions, taps, outC, [g.batch, g.outHeight, g.outWidth, outC]);
}

/** The filter gradient patchesᵀ·dy as [fh, fw, inC, outC], or null where the module is not loaded. */
export function nativeConv2dFilterGradient(x: tf.TensorInfo, dy: tf.TensorInfo, g: ConvGeometry, backend: tf.KernelBackend): tf.TensorInfo | null {
  const positions = g.batch * g.outHeight * g.outWidth;
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const outC = dy.shape[3];
  return patchProduct(backend, x, g, true, dy, taps, positions, outC, [g.filterHeight, g.filterWidth, g.inChannels, outC]);
}

/** [m, k] · [k, n] with A x's patches (transposed or not) and B a row-major matrix, as a new tensor of outShape. */
function patchProduct(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  g: ConvGeometry,
  transposed: boolean,
  b: tf.TensorInfo,
  m: number,
  k: number,
  n: number,
  outShape: number[],
): tf.TensorInfo | null {
  const native = nativeModule(backend);
  if (native == null) return null;
  const out = allocate(backend, outShape);
  const a = patchSource(address(backend, x), g, transposed);
  runGemm(native, backend, { ...a, b: address(backend, b), bBatch: 0, bRow: n, bCol: 1, batch: 1, m, k, n, out: address(backend, out) });
  return out;
}

/**
 * Conv2D for wasm: NHWC float32 convolutions in the native kernel; NCHW, other types, 1×1 convolutions of
 * very few output positions and everything while the optimisations are off go to the shipped kernel (XNNPACK).
 */
export function makeConv2d(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args: KernelArgs) => {
    const attrs = args.attrs as unknown as tf.Conv2DAttrs;
    const x = required(args.inputs, 'x');
    const filter = required(args.inputs, 'filter');
    if (!optimizationsEnabled() || attrs.dataFormat === 'NCHW' || x.dtype !== 'float32' || filter.dtype !== 'float32')
      return shipped.kernelFunc(args);
    const g = convGeometry({
      inShape: x.shape,
      filterShape: filter.shape,
      strides: attrs.strides,
      dilations: attrs.dilations,
      pad: attrs.pad,
      dimRoundingMode: attrs.dimRoundingMode,
      depthwise: false,
    });
    if (isPointwise(g) && g.batch * g.outHeight * g.outWidth < MIN_NATIVE_POSITIONS) return shipped.kernelFunc(args);
    return nativeConv2d(x, filter, g, args.backend as tf.KernelBackend) ?? shipped.kernelFunc(args);
  };
}
