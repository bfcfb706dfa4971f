import * as tf from '@tensorflow/tfjs-core';
import { heapBatchLayout } from './heap-layout';
import { adoptOutput, asTensor, required } from './kernel-registration';
import { optimizationsEnabled } from '../optimizations';
import { releaseCachedOperators } from './xnn-operator-cache';
import { matMulShape, Product2d, productByUntransposed2d, rewritePays } from './mat-mul-plan';
import { nativeAtB, nativeAtBApplies } from './mat-mul-at-b';
import { nativeBatchedApplies, nativeBatchedProduct } from './batched-small-mat-mul';

/**
 * BatchMatMul for wasm that keeps transposed and batched products on the shipped kernel's fast path
 * (see mat-mul-plan.ts); anything it does not help with goes to the shipped kernel unchanged.
 */
export function makeBatchMatMul(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const a = required(args.inputs, 'a');
    const b = required(args.inputs, 'b');
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const shape = matMulShape(a.shape, b.shape, transposeA, transposeB);
    if (!optimizationsEnabled() || a.dtype !== 'float32' || b.dtype !== 'float32' || shape == null || !rewritePays(shape, transposeA, transposeB)) {
      return shipped.kernelFunc(args);
    }
    const backend = args.backend as tf.KernelBackend;
    if (nativeAtBApplies(shape, transposeA, transposeB)) {
      const out = nativeAtB(a, b, shape, backend);
      if (out != null) return out;
    }
    if (nativeBatchedApplies(shape)) {
      const out = nativeBatchedProduct(a, b, transposeA, transposeB, shape, backend);
      if (out != null) return out;
    }
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
