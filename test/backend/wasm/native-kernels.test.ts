import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { swapOfGroups } from '../../../src/backend/wasm/transpose';
import { matMulShape, flipPays } from '../../../src/backend/wasm/mat-mul-plan';
import { build, describeWithGradients, HostTensor, intTensor, randomTensor, wasmVsCpu, weightedGradients } from './compare-backends';

/**
 * The shipped wasm kernels fundus-train replaces with native ones (transpose, split, concat, sums over
 * leading axes) and the reoriented matrix products, against the cpu backend on random inputs of odd sizes.
 * The native paths start at 4096 values, so most shapes here are above that.
 */

const TOLERANCE = 1e-5;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
});

describe('swapOfGroups', () => {
  test.each([
    { shape: [5, 7], perm: [1, 0], swap: { A: 1, R: 5, C: 7, D: 1 } },
    { shape: [3, 5, 7], perm: [0, 2, 1], swap: { A: 3, R: 5, C: 7, D: 1 } },
    { shape: [2, 5, 3, 4], perm: [0, 2, 1, 3], swap: { A: 2, R: 5, C: 3, D: 4 } },
    { shape: [2, 5, 3, 4], perm: [2, 3, 0, 1], swap: { A: 1, R: 10, C: 12, D: 1 } },
    { shape: [2, 1, 5, 3], perm: [1, 0, 3, 2], swap: { A: 2, R: 5, C: 3, D: 1 } },
    { shape: [4, 6, 5], perm: [1, 0, 2], swap: { A: 1, R: 4, C: 6, D: 5 } },
  ])('$shape by $perm is a swap of two groups', ({ shape, perm, swap }) => {
    expect(swapOfGroups(shape, perm)).toEqual(swap);
  });

  test.each([
    { shape: [2, 3, 4], perm: [0, 1, 2] },
    { shape: [2, 3, 4, 5], perm: [3, 1, 2, 0] },
    { shape: [2, 3, 4, 5], perm: [2, 0, 3, 1] },
  ])('$shape by $perm is not (identity, or more than one swap)', ({ shape, perm }) => {
    expect(swapOfGroups(shape, perm)).toBeNull();
  });

  test('a rotation of three axes is one swap of groups', () => {
    expect(swapOfGroups([2, 3, 4], [2, 0, 1])).toEqual({ A: 1, R: 6, C: 4, D: 1 });
  });
});

describe('Transpose on wasm equals cpu', () => {
  test.each([
    { shape: [67, 91], perm: [1, 0] },
    { shape: [3, 45, 61], perm: [0, 2, 1] },
    { shape: [4, 33, 3, 17], perm: [0, 2, 1, 3] },
    { shape: [4, 3, 33, 17], perm: [0, 2, 1, 3] },
    { shape: [5, 9, 11, 13], perm: [2, 3, 0, 1] },
    { shape: [2, 7, 9, 5, 3], perm: [0, 3, 4, 1, 2] },
    { shape: [6, 7, 8, 9], perm: [3, 1, 2, 0] },
  ])('float32 $shape by $perm', async ({ shape, perm }) => {
    const x = randomTensor(shape, 1);
    const [error] = await wasmVsCpu(() => tf.transpose(build(x), perm));
    expect(error).toBe(0);
  });

  test('int32 values move unchanged', async () => {
    // Below 2^24, so that the cast for the comparison is exact too.
    const values = Array.from({ length: 64 * 70 }, (_, i) => (i * 7919) % 16777216);
    const x: HostTensor = intTensor([64, 70], values);
    const [error] = await wasmVsCpu(() => tf.cast(tf.transpose(build(x)), 'float32'));
    expect(error).toBe(0);
  });
});

describe('SplitV and Concat on wasm equal cpu', () => {
  test.each([
    { shape: [8, 37, 99], sizes: [33, 33, 33], axis: 2 },
    { shape: [8, 37, 41], sizes: [1, 36], axis: 1 },
    { shape: [70, 13, 11], sizes: [30, 40], axis: 0 },
    { shape: [6, 25, 5, 7], sizes: [2, 0, 3], axis: 2 },
  ])('split $shape into $sizes along $axis, and back', async ({ shape, sizes, axis }) => {
    const x = randomTensor(shape, 2);
    const errors = await wasmVsCpu(() => {
      const parts = tf.split(build(x), sizes, axis);
      return [...parts, tf.concat(parts.slice().reverse(), axis)];
    });
    expect(errors).toHaveLength(sizes.length + 1);
    for (const e of errors) expect(e).toBe(0);
  });
});

describe('Sum on wasm equals cpu', () => {
  test.each([
    { shape: [1576, 13], axis: [0], keepDims: false },
    { shape: [8, 197, 19], axis: [0, 1], keepDims: true },
    { shape: [3, 5, 7, 61], axis: [1, 0], keepDims: false },
    { shape: [300, 5, 7], axis: [1], keepDims: false },
    { shape: [64, 70], axis: [0, 1], keepDims: false },
  ])('$shape over $axis (keepDims $keepDims)', async ({ shape, axis, keepDims }) => {
    // A mean far from zero: sums of many values must not lose their small parts.
    const x = { ...randomTensor(shape, 3), values: randomTensor(shape, 3).values.map((v) => v + 10) };
    const [error] = await wasmVsCpu(() => tf.sum(build(x), axis, keepDims));
    expect(error).toBeLessThan(TOLERANCE);
  });
});

describe('matrix products that pack the smaller operand', () => {
  test('the cost model flips weight gradients (long k, n > m) and keeps the rest', () => {
    const shape = (a: number[], b: number[], tA: boolean, tB: boolean) => matMulShape(a, b, tA, tB)!;
    expect(flipPays(shape([100352, 16], [100352, 96], true, false), true, false)).toBe(true);
    expect(flipPays(shape([8, 300], [300, 64], false, false), false, false)).toBe(true);
    expect(flipPays(shape([1576, 192], [192, 576], false, false), false, false)).toBe(false);
    expect(flipPays(shape([3, 40, 50], [3, 50, 60], false, false), false, false)).toBe(false);
  });

  describeWithGradients.each([
    { a: [8, 300], b: [300, 64], tA: false, tB: false },
    { a: [300, 8], b: [300, 64], tA: true, tB: false },
    { a: [8, 300], b: [64, 300], tA: false, tB: true },
    { a: [300, 9], b: [61, 300], tA: true, tB: true },
  ])('a $a (transposed $tA) · b $b (transposed $tB)', ({ a, b, tA, tB }) => {
    test('product and gradients match cpu', async () => {
      const errors = await wasmVsCpu(weightedGradients(([x, y]) => tf.matMul(x, y, tA, tB), [randomTensor(a, 4), randomTensor(b, 5)]));
      for (const e of errors) expect(e).toBeLessThan(1e-4);
      const [forward] = await wasmVsCpu(() => tf.matMul(build(randomTensor(a, 4)), build(randomTensor(b, 5)), tA, tB));
      expect(forward).toBeLessThan(1e-5);
    });
  });
});
