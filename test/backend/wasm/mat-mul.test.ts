import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { KernelOverride } from '../../../src/backend/wasm/kernel-registration';
import { matMulShape } from '../../../src/backend/wasm/mat-mul-plan';
import { blockSizes, MIN_NATIVE_MACS, nativeProduct, nativeProductApplies } from '../../../src/backend/wasm/native-mat-mul';
import { nativeModule } from '../../../src/backend/wasm/native/module';
import { build, describeWithGradients, HostTensor, randomTensor, wasmVsCpu, weightedGradients } from './compare-backends';

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

/** op(a)·op(b) straight through nativeProduct on wasm (tf.matMul on cpu, the reference). */
function directProduct(a: HostTensor, b: HostTensor, tA: boolean, tB: boolean): () => tf.Tensor {
  return () => {
    if (tf.getBackend() !== 'wasm') return tf.matMul(build(a), build(b), tA, tB);
    const shape = matMulShape(a.shape, b.shape, tA, tB)!;
    const info = nativeProduct(build(a), build(b), tA, tB, shape, tf.backend());
    if (info == null) throw new Error('the native module did not load');
    return tf.engine().makeTensorFromTensorInfo(info);
  };
}

// The native product (kernels.c, gemm) in every layout, at sizes that leave partial 4×8 tiles, span
// several contraction slices of 256 and several output blocks (128 rows × 512 columns), split over threads:
// the shapes of weight gradients (long contractions), attention (many small batched products), linear
// layers and 1×1 convolutions.
describe('native matrix product equals cpu', () => {
  const cases = [
    { what: 'weight gradient xᵀ·dy, long contraction', batch: [] as number[], m: 13, k: 5001, n: 19 },
    { what: 'weight gradient, wide output', batch: [], m: 147, k: 4500, n: 64 },
    { what: 'linear layer, several blocks of rows and columns', batch: [], m: 301, k: 530, n: 1030 },
    { what: "Swin V2's window attention", batch: [40], m: 64, k: 32, n: 64 },
    { what: 'odd batched shapes', batch: [7], m: 13, k: 9, n: 11 },
    { what: 'batch axes 2×3, partial tiles', batch: [2, 3], m: 26, k: 270, n: 25 },
  ];
  test.each(transposes.flatMap(([tA, tB]) => cases.map((c) => [tA, tB, c.what, c] as const)))(
    'transposeA %s, transposeB %s: %s',
    async (tA, tB, _, c) => {
      registerWasmTrainingKernels();
      const [aShape, bShape] = operandShapes(c.batch, c.m, c.k, c.n, tA, tB);
      const a = randomTensor(aShape, 17);
      const b = randomTensor(bShape, 18);
      const [viaMatMul] = await wasmVsCpu(() => tf.matMul(build(a), build(b), tA, tB));
      expect(viaMatMul).toBeLessThan(1e-5);
      const [direct] = await wasmVsCpu(directProduct(a, b, tA, tB));
      expect(direct).toBeLessThan(1e-5);
    },
  );

  test.each(transposes)('one side shared by every batch entry, transposeA %s, transposeB %s', async (tA, tB) => {
    registerWasmTrainingKernels();
    const [aShape, bShape] = operandShapes([5], 37, 300, 45, tA, tB);
    for (const [a, b] of [
      [randomTensor(aShape, 19), randomTensor(bShape.slice(1), 20)],
      [randomTensor(aShape.slice(1), 21), randomTensor(bShape, 22)],
    ]) {
      const [error] = await wasmVsCpu(directProduct(a, b, tA, tB));
      expect(error).toBeLessThan(1e-5);
    }
  });

  test('an empty contraction gives zeros', async () => {
    await tf.setBackend('wasm');
    const a = tf.zeros([40, 0]);
    const b = tf.zeros([0, 600]);
    const shape = matMulShape(a.shape, b.shape, false, false)!;
    const info = nativeProduct(a, b, false, false, shape, tf.backend())!;
    const out = tf.engine().makeTensorFromTensorInfo(info);
    expect(Array.from(await out.data()).every((v) => v === 0)).toBe(true);
    tf.dispose([a, b, out]);
  });

  test('bias and activation applied in the same pass', async () => {
    registerWasmTrainingKernels();
    const a = randomTensor([70, 300], 23);
    const b = randomTensor([300, 90], 24);
    const bias = randomTensor([90], 25);
    for (const activation of ['identity', 'relu', 'silu'] as const) {
      const [error] = await wasmVsCpu(() => {
        if (tf.getBackend() !== 'wasm') {
          const z = tf.add(tf.matMul(build(a), build(b)), build(bias));
          return activation === 'relu' ? tf.relu(z) : activation === 'silu' ? tf.mul(z, tf.sigmoid(z)) : z;
        }
        const shape = matMulShape(a.shape, b.shape, false, false)!;
        const info = nativeProduct(build(a), build(b), false, false, shape, tf.backend(), { bias: build(bias), activation })!;
        return tf.engine().makeTensorFromTensorInfo(info);
      });
      expect(error).toBeLessThan(1e-5);
    }
  });

  test('small products stay with the shipped kernel', () => {
    expect(nativeProductApplies(matMulShape([16, 32], [32, 31], false, false)!)).toBe(false);
    expect(nativeProductApplies(matMulShape([16, 32], [32, 32], false, false)!)).toBe(true);
    expect(MIN_NATIVE_MACS).toBe(16 * 32 * 32);
  });

  test('blocks: whole rows and columns up to the caps, smaller while threads would go idle', () => {
    expect(blockSizes(1, 3000, 3000, 2)).toEqual({ mc: 128, nc: 512 });
    expect(blockSizes(1, 5, 7, 1)).toEqual({ mc: 8, nc: 8 });
    // A weight gradient's small output [64, 256] on 2 threads: cut until there are 8 tasks.
    const { mc, nc } = blockSizes(1, 64, 256, 2);
    expect(Math.ceil(64 / mc) * Math.ceil(256 / nc)).toBeGreaterThanOrEqual(8);
    expect(mc % 4).toBe(0);
    expect(nc % 8).toBe(0);
  });

  test('the fused multiply-add build loads here unless FUNDUS_WASM_FMA=0', async () => {
    await tf.setBackend('wasm');
    const native = nativeModule(tf.backend());
    expect(native).not.toBeNull();
    expect(native!.fma).toBe(process.env.FUNDUS_WASM_FMA !== '0');
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
