import * as tf from '@tensorflow/tfjs-core';
import { heapBatchLayout } from './heap-layout';
import { adoptOutput, asTensor, required } from './kernel-registration';
import { optimizationsEnabled } from '../optimizations';
import { releaseCachedOperators } from './xnn-operator-cache';
import { matMulShape, Product2d, productByUntransposed2d, rewritePays } from './mat-mul-plan';
import { nativeProduct, nativeProductApplies } from './native-mat-mul';

/**
 * BatchMatMul for wasm: products of any layout and batch in fundus-train's native kernel
 * (native-mat-mul.ts); where that module is not loaded, transposed and batched products brought onto the
 * shipped kernel's XNNPACK path (see mat-mul-plan.ts). Small products go to the shipped kernel unchanged.
 */
export function makeBatchMatMul(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const a = required(args.inputs, 'a');
    const b = required(args.inputs, 'b');
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const shape = matMulShape(a.shape, b.shape, transposeA, transposeB);
    if (!optimizationsEnabled() || a.dtype !== 'float32' || b.dtype !== 'float32' || shape == null) return shipped.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    if (nativeProductApplies(shape)) {
      const out = nativeProduct(a, b, transposeA, transposeB, shape, backend);
      if (out != null) return out;
    }
    if (!rewritePays(shape, transposeA, transposeB)) return shipped.kernelFunc(args);
    return tf.tidy(() => {
      const out = productByUntransposed2d(
        asTensor(a, backend),
        asTensor(b, backend),
        transposeA,
        transposeB,
        shape,
        shippedProduct2d(shipped, backend),
        heapBatchLayout(backend),
      );
      return tf.reshape(out, shape.outShape);
    });
  };
}

/**
 * The shipped kernel on an untransposed 2-D product: its XNNPACK path. The operator it caches on b (a
 * packed copy of b) is dropped at once: b is mostly a transposed copy, a batch entry or an activation
 * here; a weight shared by a batched product is packed again on its next use, which costs far less than
 * the product (xnn-operator-cache.ts).
 */
export function shippedProduct2d(shipped: tf.KernelConfig, backend: tf.KernelBackend): Product2d {
  return (a, b) => {
    const info = shipped.kernelFunc({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
    releaseCachedOperators(b, backend);
    return adoptOutput(info as tf.TensorInfo, backend);
  };
}
