import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { build, describeWithGradients, intTensor, randomTensor, wasmVsCpu, weightedGradients } from './compare-backends';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

test('wasm as shipped has no UnsortedSegmentSum; registering adds it', () => {
  expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeUndefined();
  registerWasmTrainingKernels();
  expect(tf.getKernel(tf.UnsortedSegmentSum, 'wasm')).toBeDefined();
});

/** A Swin-style relative position index for a w×w window: (2w−1)² table rows, w⁴ lookups. */
function relativePositionIndex(w: number): number[] {
  const out: number[] = [];
  for (let a = 0; a < w * w; a++) {
    for (let b = 0; b < w * w; b++) {
      const dy = Math.floor(a / w) - Math.floor(b / w) + w - 1;
      const dx = (a % w) - (b % w) + w - 1;
      out.push(dy * (2 * w - 1) + dx);
    }
  }
  return out;
}

describeWithGradients('gather gradient on wasm equals cpu', () => {
  test('relative-position-bias table: gather rows with many repeats', async () => {
    registerWasmTrainingKernels();
    const w = 3;
    const table = randomTensor([(2 * w - 1) ** 2, 4], 5);
    const index = intTensor([w * w * w * w], relativePositionIndex(w));
    const [error] = await wasmVsCpu(weightedGradients(([t], [i]) => tf.gather(t, i), [table], [index]));
    expect(error).toBeLessThan(TOLERANCE);
  });

  test('gather along axis 1 with a 2-D index tensor', async () => {
    registerWasmTrainingKernels();
    const params = randomTensor([3, 6, 5], 6);
    const index = intTensor([2, 4], [0, 5, 5, 2, 1, 1, 1, 4]);
    const [error] = await wasmVsCpu(weightedGradients(([p], [i]) => tf.gather(p, i, 1), [params], [index]));
    expect(error).toBeLessThan(TOLERANCE);
  });
});

test('UnsortedSegmentSum called directly matches cpu, ignoring ids outside [0, numSegments)', async () => {
  registerWasmTrainingKernels();
  const cases = [
    { x: randomTensor([4, 3, 2], 8), ids: intTensor([4], [2, 0, 2, 1]), numSegments: 3 },
    { x: randomTensor([4, 3, 2], 9), ids: intTensor([4], [3, -1, 0, 7]), numSegments: 4 }, // -1 and 7 are dropped
    { x: randomTensor([6], 10), ids: intTensor([6], [1, 1, 1, 0, 4, 1]), numSegments: 5 }, // scalar rows
  ];
  for (const c of cases) {
    const [error] = await wasmVsCpu(() => tf.unsortedSegmentSum(build(c.x), build(c.ids) as tf.Tensor1D, c.numSegments));
    expect(error).toBeLessThan(TOLERANCE);
  }
});
