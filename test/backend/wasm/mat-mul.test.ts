import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { KernelOverride } from '../../../src/backend/wasm/kernel-registration';
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
