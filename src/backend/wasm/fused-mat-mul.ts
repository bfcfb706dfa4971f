import * as tf from '@tensorflow/tfjs-core';
import { shippedProduct2d } from './batch-mat-mul';
import { heapBatchLayout } from './heap-layout';
import { adoptOutput, asTensor, required, WASM } from './kernel-registration';
import { matMulShape, productByUntransposed2d, rewritePays } from './mat-mul-plan';
import { nativeProduct, nativeProductApplies } from './native-mat-mul';
import { optimizationsEnabled } from '../optimizations';

/**
 * _FusedMatMul for wasm: activation(a·b + bias). In the native matrix kernel where it is loaded (bias and
 * ReLU in the same pass; other activations after it, as the cpu backend applies them). Otherwise with a and
 * b transposed explicitly and batches split as for BatchMatMul: a single product runs the shipped fused
 * kernel (bias and activation applied by XNNPACK); batched products, and biases of rank > 1 (which the
 * shipped kernel rejects), add the bias and apply the activation as separate ops.
 *
 * This also corrects the shipped kernel: its slow path (taken for any transpose or batch) adds
 * bias[min(row·n + col, size − 1)] instead of bias[col], so a transposed fused product with a bias is
 * wrong there (relative error ≈ 1 measured against the cpu backend).
 */
export function makeFusedMatMul(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const a = required(args.inputs, 'a');
    const b = required(args.inputs, 'b');
    const { bias, preluActivationWeights } = args.inputs;
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const { transposeA, transposeB } = attrs;
    const shape = matMulShape(a.shape, b.shape, transposeA, transposeB);
    const vectorBias = bias == null || bias.shape.length === 1;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || shape == null) return shipped.kernelFunc(args);
    const backend = args.backend as tf.KernelBackend;
    const columnBias = bias == null || (bias.shape.length === 1 && bias.shape[0] === shape.n);
    if (optimizationsEnabled() && columnBias && nativeProductApplies(shape)) {
      const inKernel = attrs.activation === 'relu' || attrs.activation === 'linear';
      const out = nativeProduct(a, b, transposeA, transposeB, shape, backend, {
        bias,
        activation: attrs.activation === 'relu' ? 'relu' : 'identity',
      });
      if (out != null) {
        if (inKernel) return out;
        return tf.tidy(() => {
          const prelu = preluActivationWeights == null ? undefined : asTensor(preluActivationWeights, backend);
          return activate(tf.engine().makeTensorFromTensorInfo(out), attrs.activation, prelu, attrs.leakyreluAlpha);
        });
      }
    }
    const slowOrWrong = rewritePays(shape, transposeA, transposeB) || (bias != null && (transposeA || transposeB || shape.batchA * shape.batchB > 1));
    if (vectorBias && !slowOrWrong) return shipped.kernelFunc(args);
    return tf.tidy(() => {
      const at = asTensor(a, backend);
      const bt = asTensor(b, backend);
      if (shape.batchA === 1 && shape.batchB === 1 && vectorBias) {
        const a3 = transposeA ? tf.transpose(tf.reshape(at, [shape.k, shape.m])) : at;
        const b3 = transposeB ? tf.transpose(tf.reshape(bt, [shape.n, shape.k])) : bt;
        const info = shipped.kernelFunc({
          inputs: {
            a: tf.reshape(a3, [1, shape.m, shape.k]),
            b: tf.reshape(b3, [1, shape.k, shape.n]),
            ...optional({ bias, preluActivationWeights }),
          },
          backend,
          attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
        });
        return tf.reshape(adoptOutput(info as tf.TensorInfo, backend), shape.outShape);
      }
      const matMulKernel = tf.getKernel(tf.BatchMatMul, WASM);
      if (matMulKernel == null) throw new Error('wasm has no BatchMatMul kernel');
      const product = productByUntransposed2d(
        at,
        bt,
        transposeA,
        transposeB,
        shape,
        shippedProduct2d(matMulKernel, backend),
        heapBatchLayout(backend),
      );
      let y: tf.Tensor = tf.reshape(product, shape.outShape);
      if (bias != null) y = tf.add(y, asTensor(bias, backend));
      const prelu = preluActivationWeights == null ? undefined : asTensor(preluActivationWeights, backend);
      return activate(y, attrs.activation, prelu, attrs.leakyreluAlpha);
    });
  };
}

/** The fused activations of tfjs-core, as the cpu backend applies them. */
function activate(x: tf.Tensor, activation: string, preluWeights: tf.Tensor | undefined, leakyreluAlpha: number | undefined): tf.Tensor {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'leakyrelu':
      return tf.leakyRelu(x, leakyreluAlpha ?? 0.2);
    case 'prelu':
      if (preluWeights == null) throw new Error('fused matMul with prelu activation needs preluActivationWeights');
      return tf.prelu(x, preluWeights);
    default:
      throw new Error(`fused matMul activation '${activation}' is not supported on wasm`);
  }
}

/** Kernel inputs without the optional entries that are absent. */
function optional(inputs: Record<string, tf.TensorInfo | undefined>): tf.NamedTensorInfoMap {
  const out: tf.NamedTensorInfoMap = {};
  for (const [key, value] of Object.entries(inputs)) if (value != null) out[key] = value;
  return out;
}
