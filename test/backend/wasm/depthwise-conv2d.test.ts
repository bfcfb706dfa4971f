import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { build, describeWithGradients, HostTensor, randomTensor, relativeError, runOn, wasmVsCpu, weightedGradients } from './compare-backends';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

test('wasm as shipped lacks both depthwise gradient kernels; registering adds them', () => {
  expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'wasm')).toBeUndefined();
  expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm')).toBeUndefined();
  registerWasmTrainingKernels();
  expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'wasm')).toBeDefined();
  expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm')).toBeDefined();
});

interface DepthwiseCase {
  batch: number;
  size: [number, number];
  channels: number;
  multiplier: number;
  kernel: [number, number];
  stride: number;
  pad: 'same' | 'valid' | number;
}

const cases: DepthwiseCase[] = [
  { batch: 1, size: [7, 7], channels: 3, multiplier: 1, kernel: [3, 3], stride: 1, pad: 'same' },
  { batch: 3, size: [9, 7], channels: 4, multiplier: 1, kernel: [3, 3], stride: 2, pad: 'same' },
  { batch: 3, size: [8, 9], channels: 2, multiplier: 2, kernel: [5, 5], stride: 2, pad: 'same' },
  { batch: 1, size: [9, 9], channels: 3, multiplier: 2, kernel: [3, 3], stride: 1, pad: 'valid' },
  { batch: 3, size: [10, 7], channels: 2, multiplier: 1, kernel: [3, 5], stride: 2, pad: 'valid' },
  { batch: 1, size: [7, 8], channels: 5, multiplier: 2, kernel: [3, 3], stride: 2, pad: 1 },
];

const label = (c: DepthwiseCase): string =>
  `batch ${c.batch}, ${c.size.join('×')}×${c.channels}, multiplier ${c.multiplier}, kernel ${c.kernel.join('×')}, stride ${c.stride}, pad ${c.pad}`;

describeWithGradients.each(cases.map((c) => [label(c), c] as const))('depthwiseConv2d gradient on wasm equals cpu: %s', (_, c) => {
  test('dx and dW within 1e-4 relative', async () => {
    registerWasmTrainingKernels();
    const x = randomTensor([c.batch, ...c.size, c.channels], 3);
    const w = randomTensor([...c.kernel, c.channels, c.multiplier], 4);
    const errors = await wasmVsCpu(
      weightedGradients(([xv, wv]) => tf.depthwiseConv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, c.stride, c.pad), [x, w]),
    );
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });
});

describe('depthwise gradient kernels called directly', () => {
  test('match cpu for strides, paddings and multipliers, including explicit padding and ceil rounding', async () => {
    registerWasmTrainingKernels();
    const runs = [
      { x: [2, 9, 7, 3], f: [3, 3, 3, 2], dy: [2, 5, 4, 6], attrs: { strides: 2, pad: 'same', dilations: 1 } },
      {
        x: [1, 7, 6, 2],
        f: [3, 2, 2, 1],
        dy: [1, 8, 3, 2],
        attrs: {
          strides: [1, 2],
          pad: [
            [0, 0],
            [1, 2],
            [0, 1],
            [0, 0],
          ],
          dilations: 1,
        },
      },
      { x: [1, 7, 7, 2], f: [3, 3, 2, 2], dy: [1, 4, 4, 4], attrs: { strides: 2, pad: 1, dimRoundingMode: 'ceil', dilations: 1 } },
    ];
    for (const [i, r] of runs.entries()) {
      const x = randomTensor(r.x, 30 + i);
      const f = randomTensor(r.f, 40 + i);
      const dy = randomTensor(r.dy, 50 + i);
      const [filterError] = await wasmVsCpu(
        () =>
          tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: build(x), dy: build(dy) }, {
            ...r.attrs,
            filterShape: r.f,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
      const [inputError] = await wasmVsCpu(
        () =>
          tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: build(dy), filter: build(f) }, {
            ...r.attrs,
            inputShape: r.x,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
      expect(filterError).toBeLessThan(TOLERANCE);
      expect(inputError).toBeLessThan(TOLERANCE);
    }
  });

  // tfjs-core's depthwise gradient refuses dilations > 1 and the cpu backprop kernels ignore them, so
  // the reference is the same convolution written without dilation: the filter spread out with zeros.
  test.each([
    { x: [2, 9, 8, 3], f: [3, 3, 3, 1], pad: 'same' as const },
    { x: [1, 11, 9, 2], f: [3, 2, 2, 2], pad: 'valid' as const },
  ])('dilation 2 matches the equivalent undilated convolution on cpu: x $x, filter $f, pad $pad', async (r) => {
    registerWasmTrainingKernels();
    const dilation = 2;
    const x = randomTensor(r.x, 60);
    const f = randomTensor(r.f, 61);
    const dilated = dilateFilter(f, dilation);
    const dy = await runOn('cpu', () => tf.depthwiseConv2d(build(x) as tf.Tensor4D, build(dilated) as tf.Tensor4D, 1, r.pad));
    const dyHost: HostTensor = { shape: dy[0].shape, values: dy[0].values, dtype: 'float32' };
    const attrs = { strides: 1, pad: r.pad, dilations: dilation };

    const [wasmDx, wasmDw] = await runOn('wasm', () => [
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: build(dyHost), filter: build(f) }, {
        ...attrs,
        inputShape: r.x,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: build(x), dy: build(dyHost) }, {
        ...attrs,
        filterShape: r.f,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ]);
    const [cpuDx, cpuDwDilated] = await runOn('cpu', () => [
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: build(dyHost), filter: build(dilated) }, {
        strides: 1,
        pad: r.pad,
        dilations: 1,
        inputShape: r.x,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: build(x), dy: build(dyHost) }, {
        strides: 1,
        pad: r.pad,
        dilations: 1,
        filterShape: dilated.shape,
      } as unknown as tf.NamedAttrMap) as tf.Tensor,
    ]);
    expect(wasmDx.shape).toEqual(r.x);
    expect(relativeError(wasmDx.values, cpuDx.values)).toBeLessThan(TOLERANCE);
    // The gradient of the real taps sits at every dilation-th position of the spread-out filter's gradient.
    const cpuDw = takeTaps({ shape: cpuDwDilated.shape, values: cpuDwDilated.values, dtype: 'float32' }, dilation);
    expect(wasmDw.shape).toEqual(r.f);
    expect(relativeError(wasmDw.values, cpuDw.values)).toBeLessThan(TOLERANCE);
  });
});

/** [fh, fw, c, m] → [(fh−1)·d+1, (fw−1)·d+1, c, m] with the taps d apart and zeros between. */
function dilateFilter(f: HostTensor, d: number): HostTensor {
  const [fh, fw, c, m] = f.shape;
  const shape = [(fh - 1) * d + 1, (fw - 1) * d + 1, c, m];
  const values = new Float32Array(shape[0] * shape[1] * c * m);
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      for (let k = 0; k < c * m; k++) values[(i * d * shape[1] + j * d) * c * m + k] = f.values[(i * fw + j) * c * m + k];
    }
  }
  return { shape, values, dtype: 'float32' };
}

/** The inverse of dilateFilter's placement: every d-th tap. */
function takeTaps(f: HostTensor, d: number): HostTensor {
  const [h, w, c, m] = f.shape;
  const fh = (h - 1) / d + 1;
  const fw = (w - 1) / d + 1;
  const values = new Float32Array(fh * fw * c * m);
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      for (let k = 0; k < c * m; k++) values[(i * fw + j) * c * m + k] = f.values[(i * d * w + j * d) * c * m + k];
    }
  }
  return { shape: [fh, fw, c, m], values, dtype: 'float32' };
}
