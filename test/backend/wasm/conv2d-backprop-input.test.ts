import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { KernelOverride } from '../../../src/backend/wasm/kernel-registration';
import { build, randomTensor, wasmVsCpu } from './compare-backends';

// The input gradient through tf.grad is checked with the filter gradient in conv2d-backprop-filter.test.ts.

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
});

test('the shipped Conv2DBackpropInput is replaced, and kept for what the override hands back', () => {
  const override = tf.getKernel(tf.Conv2DBackpropInput, 'wasm')?.kernelFunc as KernelOverride;
  expect(override.shipped.kernelName).toBe(tf.Conv2DBackpropInput);
});

test.each([
  { what: 'pointwise', x: [3, 5, 6, 4], f: [1, 1, 4, 7], dy: [3, 5, 6, 7], attrs: { strides: 1, pad: 'valid' } },
  { what: '3×3 stride 1 same', x: [2, 7, 7, 3], f: [3, 3, 3, 5], dy: [2, 7, 7, 5], attrs: { strides: 1, pad: 'same' } },
  { what: '3×3 stride 2 same, odd size', x: [3, 9, 7, 2], f: [3, 3, 2, 4], dy: [3, 5, 4, 4], attrs: { strides: 2, pad: 'same' } },
  { what: '4×4 patches, stride 4', x: [2, 8, 12, 3], f: [4, 4, 3, 6], dy: [2, 2, 3, 6], attrs: { strides: 4, pad: 'valid' } },
  { what: 'stride 2 valid, rows left uncovered', x: [1, 8, 8, 2], f: [3, 3, 2, 3], dy: [1, 3, 3, 3], attrs: { strides: 2, pad: 'valid' } },
  {
    what: 'explicit asymmetric padding',
    x: [2, 7, 6, 3],
    f: [3, 2, 3, 2],
    dy: [2, 8, 4, 2],
    attrs: {
      strides: [1, 2],
      pad: [
        [0, 0],
        [1, 2],
        [2, 0],
        [0, 0],
      ],
    },
  },
  { what: 'pad 1 with ceil rounding', x: [1, 7, 7, 2], f: [3, 3, 2, 3], dy: [1, 4, 4, 3], attrs: { strides: 2, pad: 1, dimRoundingMode: 'ceil' } },
  // Stride 1: a convolution of dy in the native kernel (the filter turned, padded by (taps − 1) − pad).
  { what: 'stride 1, 5×3 valid', x: [2, 9, 8, 5], f: [5, 3, 5, 6], dy: [2, 5, 6, 6], attrs: { strides: 1, pad: 'valid' } },
  { what: 'stride 1, pad 3 beyond the 3×3 reach', x: [1, 6, 5, 4], f: [3, 3, 4, 3], dy: [1, 10, 9, 3], attrs: { strides: 1, pad: 3 } },
  {
    what: 'stride 1, explicit asymmetric padding',
    x: [2, 7, 6, 3],
    f: [3, 2, 3, 5],
    dy: [2, 7, 7, 5],
    attrs: {
      strides: 1,
      pad: [
        [0, 0],
        [1, 1],
        [2, 0],
        [0, 0],
      ],
    },
  },
  {
    what: "stride 1, ResNet-50's 3×3 64 → 64 at 14×14",
    x: [2, 14, 14, 64],
    f: [3, 3, 64, 64],
    dy: [2, 14, 14, 64],
    attrs: { strides: 1, pad: 'same' },
  },
])('called directly, matches cpu: $what', async (r) => {
  const dy = randomTensor(r.dy, 1);
  const f = randomTensor(r.f, 2);
  const [error] = await wasmVsCpu(
    () =>
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: build(dy), filter: build(f) }, {
        ...r.attrs,
        dataFormat: 'NHWC',
        inputShape: r.x,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
  );
  expect(error).toBeLessThan(TOLERANCE);
});
