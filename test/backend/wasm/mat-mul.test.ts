import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { KernelOverride } from '../../../src/backend/wasm/kernel-registration';
import { MIN_AT_B_ROWS, nativeAtB, nativeAtBApplies } from '../../../src/backend/wasm/mat-mul-at-b';
import { matMulShape } from '../../../src/backend/wasm/mat-mul-plan';
import { MAX_SMALL_PRODUCT_MACS, nativeBatchedApplies, nativeBatchedProduct } from '../../../src/backend/wasm/batched-small-mat-mul';
import { build, describeWithGradients, randomTensor, wasmVsCpu, weightedGradients } from './compare-backends';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

test('the matrix-product overrides wrap the shipped kernels once, however often registration runs', () => {
  const shipped = tf.getKernel(tf.BatchMatMul, 'wasm');
  expect((shipped?.kernelFunc as Partial<KernelOverride>).shipped).toBeUndefined();
  registerWasmTrainingKernels();
  const first = tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc as KernelOverride;
  expect(first.shipped).toBe(shipped);
  registerWasmTrainingKernels();
  expect(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc).toBe(first);
  expect((tf.getKernel(tf._FusedMatMul, 'wasm')?.kernelFunc as KernelOverride).shipped).toBeDefined();
});

/** [m, k] · [k, n] per batch, laid out for the given transposes. */
function operandShapes(batch: number[], m: number, k: number, n: number, tA: boolean, tB: boolean): [number[], number[]] {
  return [
    [...batch, ...(tA ? [k, m] : [m, k])],
    [...batch, ...(tB ? [n, k] : [k, n])],
  ];
}

const transposes = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const sizes = [
  { what: '2-D, rewritten', batch: [] as number[], m: 40, k: 50, n: 30 },
  { what: '2-D below the rewrite threshold (shipped kernel)', batch: [], m: 7, k: 9, n: 5 },
  { what: 'batch 3, split into 2-D products', batch: [3], m: 33, k: 29, n: 31 },
  { what: 'batch axes 2×3', batch: [2, 3], m: 26, k: 27, n: 25 },
  { what: 'batch 3, small (shipped kernel)', batch: [3], m: 6, k: 5, n: 7 },
];

describeWithGradients('matMul gradient on wasm equals cpu', () => {
  test.each(transposes.flatMap(([tA, tB]) => sizes.map((s) => [tA, tB, s.what, s] as const)))(
    'transposeA %s, transposeB %s, %s',
    async (tA, tB, _, s) => {
      registerWasmTrainingKernels();
      const [aShape, bShape] = operandShapes(s.batch, s.m, s.k, s.n, tA, tB);
      const errors = await wasmVsCpu(weightedGradients(([a, b]) => tf.matMul(a, b, tA, tB), [randomTensor(aShape, 1), randomTensor(bShape, 2)]));
      expect(errors).toHaveLength(2);
      for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
    },
  );
});

test.each(transposes)('batched product with one side shared by every batch, transposeA %s, transposeB %s', async (tA, tB) => {
  registerWasmTrainingKernels();
  for (const [sharedA, sharedB] of [
    [false, true],
    [true, false],
  ]) {
    const [aShape, bShape] = operandShapes([4], 30, 35, 40, tA, tB);
    const a = randomTensor(sharedA ? aShape.slice(1) : aShape, 3);
    const b = randomTensor(sharedB ? [1, ...bShape.slice(1)] : bShape, 4);
    const [error] = await wasmVsCpu(() => tf.matMul(build(a), build(b), tA, tB));
    expect(error).toBeLessThan(TOLERANCE);
  }
});

// Weight gradients xᵀ·dy: contraction over every position of a batch, in the native aᵀ·b kernel. Row
// and column counts that leave partial tiles (4 rows × 8 columns), a last block of a and b shorter than
// the kernel's, and enough rows to split over threads.
describe('aᵀ·b over many rows (native kernel) equals cpu', () => {
  test.each([
    [MIN_AT_B_ROWS, 64, 40],
    [5001, 13, 19],
    [9000, 147, 64],
    [4500, 200, 8],
  ])('[%d, %d]ᵀ · [the same rows, %d]', async (P, K, N) => {
    registerWasmTrainingKernels();
    const a = randomTensor([P, K], 15);
    const b = randomTensor([P, N], 16);
    const shape = matMulShape([P, K], [P, N], true, false)!;
    expect(nativeAtBApplies(shape, true, false)).toBe(true);
    const [viaMatMul] = await wasmVsCpu(() => tf.matMul(build(a), build(b), true, false));
    expect(viaMatMul).toBeLessThan(1e-5);
    const [direct] = await wasmVsCpu(() => {
      if (tf.getBackend() !== 'wasm') return tf.matMul(build(a), build(b), true, false);
      const [at, bt] = [build(a), build(b)];
      const info = nativeAtB(at, bt, shape, tf.backend())!;
      return tf.engine().makeTensorFromTensorInfo(info);
    });
    expect(direct).toBeLessThan(1e-5);
  });

  test('short contractions and batched or other transposes stay with XNNPACK', () => {
    expect(nativeAtBApplies(matMulShape([MIN_AT_B_ROWS - 1, 64], [MIN_AT_B_ROWS - 1, 40], true, false)!, true, false)).toBe(false);
    expect(nativeAtBApplies(matMulShape([2, 5000, 64], [2, 5000, 40], true, false)!, true, false)).toBe(false);
    expect(nativeAtBApplies(matMulShape([64, 5000], [5000, 40], false, false)!, false, false)).toBe(false);
  });
});

// Attention's many small products (Swin V2's window attention: 64 tokens, head size 32), in the native
// batched kernel, in every layout; and a batch large enough to split over threads.
describe('small batched products (native kernel) equal cpu', () => {
  test.each(transposes.flatMap(([tA, tB]) => [[tA, tB, 40, 64, 32, 64] as const, [tA, tB, 7, 13, 9, 11] as const]))(
    'transposeA %s, transposeB %s, batch %d of [%d, %d] · [.., %d]',
    async (tA, tB, batch, m, k, n) => {
      registerWasmTrainingKernels();
      const [aShape, bShape] = operandShapes([batch], m, k, n, tA, tB);
      const a = randomTensor(aShape, 17);
      const b = randomTensor(bShape, 18);
      const shape = matMulShape(aShape, bShape, tA, tB)!;
      expect(nativeBatchedApplies(shape)).toBe(true);
      const [viaMatMul] = await wasmVsCpu(() => tf.matMul(build(a), build(b), tA, tB));
      expect(viaMatMul).toBeLessThan(1e-5);
      const [direct] = await wasmVsCpu(() => {
        if (tf.getBackend() !== 'wasm') return tf.matMul(build(a), build(b), tA, tB);
        const info = nativeBatchedProduct(build(a), build(b), tA, tB, shape, tf.backend())!;
        return tf.engine().makeTensorFromTensorInfo(info);
      });
      expect(direct).toBeLessThan(1e-5);
    },
  );

  test('larger products, single products and shared operands stay with XNNPACK', () => {
    const big = Math.ceil(Math.cbrt(MAX_SMALL_PRODUCT_MACS)) + 1;
    expect(nativeBatchedApplies(matMulShape([4, big, big], [4, big, big], false, false)!)).toBe(false);
    expect(nativeBatchedApplies(matMulShape([64, 32], [32, 64], false, false)!)).toBe(false);
    expect(nativeBatchedApplies(matMulShape([4, 64, 32], [1, 32, 64], false, false)!)).toBe(false);
  });
});

describe('fused matMul on wasm equals cpu', () => {
  const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
  test.each(transposes.flatMap(([tA, tB]) => activations.map((act) => [tA, tB, act] as const)))(
    'transposeA %s, transposeB %s, activation %s: single and batched products, with bias',
    async (tA, tB, activation) => {
      registerWasmTrainingKernels();
      for (const batch of [[], [3]]) {
        const [aShape, bShape] = operandShapes(batch, 30, 40, 35, tA, tB);
        const a = randomTensor(aShape, 5);
        const b = randomTensor(bShape, 6);
        const bias = randomTensor([35], 7);
        const prelu = randomTensor([35], 8);
        const [error] = await wasmVsCpu(() =>
          tf.fused.matMul({
            a: build(a),
            b: build(b),
            transposeA: tA,
            transposeB: tB,
            bias: build(bias),
            activation,
            preluActivationWeights: activation === 'prelu' ? build(prelu) : undefined,
            leakyreluAlpha: 0.15,
          }),
        );
        expect(error).toBeLessThan(TOLERANCE);
      }
    },
  );

  test('a bias of rank 2, which the shipped kernel rejects', async () => {
    registerWasmTrainingKernels();
    const [error] = await wasmVsCpu(() =>
      tf.fused.matMul({
        a: build(randomTensor([20, 30], 9)),
        b: build(randomTensor([30, 25], 10)),
        bias: build(randomTensor([20, 25], 11)),
        activation: 'relu',
      }),
    );
    expect(error).toBeLessThan(TOLERANCE);
  });

  describeWithGradients('gradients', () => {
    test.each(transposes)('transposeA %s, transposeB %s, relu with bias', async (tA, tB) => {
      registerWasmTrainingKernels();
      const [aShape, bShape] = operandShapes([2], 30, 40, 35, tA, tB);
      const errors = await wasmVsCpu(
        weightedGradients(
          ([a, b, bias]) => tf.fused.matMul({ a, b, transposeA: tA, transposeB: tB, bias, activation: 'relu' }),
          [randomTensor(aShape, 12), randomTensor(bShape, 13), randomTensor([35], 14)],
        ),
      );
      expect(errors).toHaveLength(3);
      for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
    });
  });
});
