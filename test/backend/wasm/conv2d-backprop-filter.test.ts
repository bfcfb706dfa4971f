import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { build, describeWithGradients, randomTensor, wasmVsCpu, weightedGradients } from './compare-backends';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

test('wasm as shipped has no Conv2DBackpropFilter; registering adds it', () => {
  expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeUndefined();
  registerWasmTrainingKernels();
  expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
});

interface ConvCase {
  batch: number;
  size: [number, number];
  inC: number;
  outC: number;
  kernel: [number, number];
  stride: number;
  pad: 'same' | 'valid' | number;
}

const cases: ConvCase[] = [
  { batch: 1, size: [7, 7], inC: 3, outC: 4, kernel: [3, 3], stride: 1, pad: 'same' },
  { batch: 3, size: [9, 7], inC: 2, outC: 5, kernel: [3, 3], stride: 2, pad: 'same' },
  { batch: 3, size: [8, 8], inC: 4, outC: 3, kernel: [3, 3], stride: 2, pad: 'valid' },
  { batch: 1, size: [11, 9], inC: 3, outC: 2, kernel: [5, 3], stride: 1, pad: 'valid' },
  { batch: 3, size: [7, 9], inC: 2, outC: 3, kernel: [3, 5], stride: 2, pad: 1 },
  { batch: 1, size: [8, 8], inC: 3, outC: 6, kernel: [4, 4], stride: 4, pad: 'valid' }, // patch embedding
  { batch: 3, size: [5, 5], inC: 6, outC: 4, kernel: [1, 1], stride: 1, pad: 'same' }, // pointwise
  { batch: 1, size: [6, 6], inC: 2, outC: 40, kernel: [2, 2], stride: 2, pad: 'same' }, // outC > taps·inC
];

const label = (c: ConvCase): string =>
  `batch ${c.batch}, ${c.size.join('×')}×${c.inC} → ${c.outC}, kernel ${c.kernel.join('×')}, stride ${c.stride}, pad ${c.pad}`;

describeWithGradients.each(cases.map((c) => [label(c), c] as const))('conv2d gradient on wasm equals cpu: %s', (_, c) => {
  test('dx and dW within 1e-4 relative', async () => {
    registerWasmTrainingKernels();
    const x = randomTensor([c.batch, ...c.size, c.inC], 1);
    const w = randomTensor([...c.kernel, c.inC, c.outC], 2);
    const errors = await wasmVsCpu(weightedGradients(([xv, wv]) => tf.conv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, c.stride, c.pad), [x, w]));
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });
});

test('kernel called directly: NCHW, explicit padding, ceil rounding match cpu', async () => {
  registerWasmTrainingKernels();
  const runs: { x: number[]; dy: number[]; attrs: Record<string, unknown> }[] = [
    // NCHW: x [1, 3, 7, 6], filter 3×3 3→4, stride 2 same → dy [1, 4, 4, 3]
    { x: [1, 3, 7, 6], dy: [1, 4, 4, 3], attrs: { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] } },
    // explicit asymmetric padding: rows 7+1+2 → (10−3)/1+1 = 8, cols 6+2+0 → (8−2)/2+1 = 4
    {
      x: [2, 7, 6, 3],
      dy: [2, 8, 4, 2],
      attrs: {
        strides: [1, 2],
        pad: [
          [0, 0],
          [1, 2],
          [2, 0],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        filterShape: [3, 2, 3, 2],
      },
    },
    // pad 1 with ceil rounding reads one row/column beyond the padded input: (7+2−3)/2+1 = 4
    { x: [1, 7, 7, 2], dy: [1, 4, 4, 3], attrs: { strides: 2, pad: 1, dimRoundingMode: 'ceil', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] } },
  ];
  for (const [i, r] of runs.entries()) {
    const x = randomTensor(r.x, 10 + i);
    const dy = randomTensor(r.dy, 20 + i);
    const [error] = await wasmVsCpu(
      () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: build(x), dy: build(dy) }, r.attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
    expect(error).toBeLessThan(TOLERANCE);
  }
});
