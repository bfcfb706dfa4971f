import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { convGeometry } from '../../../src/backend/wasm/conv-geometry';
import { nativeConv2dFilterGradient } from '../../../src/backend/wasm/native-conv2d';
import { build, randomTensor, wasmVsCpu } from './compare-backends';

// Convolutions in the native matrix kernel, which packs its panels straight from the NHWC input
// (kernels.c, pack_patches and pack_patches_t): the forward pass and the filter gradient against the cpu
// backend, on small odd geometries (channels not a multiple of 4, positions not a multiple of 4, padding on
// every side, strides, dilation) and on the models' own sizes.

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
});

interface Case {
  what: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number | [number, number];
  pad: 'same' | 'valid' | number;
  dilation?: number;
}

const cases: Case[] = [
  { what: '3×3 same, 3 channels', x: [1, 7, 7, 3], filter: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { what: '3×3 stride 2 same, 2 channels, batch 3', x: [3, 9, 7, 2], filter: [3, 3, 2, 5], stride: 2, pad: 'same' },
  { what: '5×3 valid', x: [1, 11, 9, 6], filter: [5, 3, 6, 9], stride: 1, pad: 'valid' },
  // 48 output positions, and a non-square filter with numeric padding, which the shipped kernel gets wrong
  { what: '3×5 stride 2, pad 1', x: [3, 7, 9, 5], filter: [3, 5, 5, 3], stride: 2, pad: 1 },
  { what: 'dilation 2', x: [2, 9, 9, 8], filter: [3, 3, 8, 12], stride: 1, pad: 'same', dilation: 2 },
  { what: 'strides 1×2', x: [2, 8, 9, 4], filter: [3, 3, 4, 10], stride: [1, 2], pad: 'same' },
  { what: 'patch embedding 4×4 stride 4', x: [1, 8, 8, 3], filter: [4, 4, 3, 6], stride: 4, pad: 'valid' },
  { what: 'pointwise', x: [3, 5, 5, 6], filter: [1, 1, 6, 4], stride: 1, pad: 'same' },
  { what: 'pointwise stride 2 (a ResNet downsample)', x: [2, 9, 9, 12], filter: [1, 1, 12, 16], stride: 2, pad: 'valid' },
  { what: "ResNet-50's 3×3 at 56×56×64, batch 2", x: [2, 56, 56, 64], filter: [3, 3, 64, 64], stride: 1, pad: 'same' },
  { what: "EfficientNet-B4's stem at 380 px (TF padding: 'same')", x: [1, 380, 380, 3], filter: [3, 3, 3, 48], stride: 2, pad: 'same' },
  { what: "ResNet-50's 7×7 stem, pad 3", x: [1, 64, 64, 3], filter: [7, 7, 3, 64], stride: 2, pad: 3 },
];

/**
 * The filter gradient's reference (the cpu backend's plain loop) takes minutes at the models' full sizes:
 * there the same filters run on smaller images.
 */
const filterGradientCases: Case[] = cases.map((c) => {
  const small: Partial<Record<string, [number, number, number, number]>> = {
    "ResNet-50's 3×3 at 56×56×64, batch 2": [1, 12, 12, 64],
    "EfficientNet-B4's stem at 380 px (TF padding: 'same')": [1, 62, 62, 3],
    "ResNet-50's 7×7 stem, pad 3": [1, 22, 22, 3],
  };
  const x = small[c.what];
  return x == null ? c : { ...c, what: `${c.what.split(' at ')[0]} at ${x[1]}×${x[2]}`, x };
});

describe.each(cases.map((c) => [c.what, c] as const))('native conv2d equals cpu: %s', (_, c) => {
  test('forward', async () => {
    const x = randomTensor(c.x, 1);
    const w = randomTensor(c.filter, 2);
    const [error] = await wasmVsCpu(() => tf.conv2d(build(x) as tf.Tensor4D, build(w) as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation ?? 1));
    expect(error).toBeLessThan(1e-5);
  });
});

// tfjs's Conv2DBackpropFilter has no dilation: the dilated case is left out.
describe.each(filterGradientCases.filter((c) => c.dilation == null).map((c) => [c.what, c] as const))(
  'native conv2d filter gradient equals cpu: %s',
  (_, c) => {
    test('patchesᵀ · dy', async () => {
      const x = randomTensor(c.x, 1);
      const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.stride, c.pad).shape);
      const dy = randomTensor(outShape, 3);
      const [error] = await wasmVsCpu(() => {
        if (tf.getBackend() === 'cpu') {
          const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
          return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: build(x), dy: build(dy) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
        }
        const g = convGeometry({ inShape: c.x, filterShape: c.filter, strides: c.stride, dilations: 1, pad: c.pad, depthwise: false });
        const info = nativeConv2dFilterGradient(build(x), build(dy), g, tf.backend());
        if (info == null) throw new Error('the native module did not load');
        return tf.engine().makeTensorFromTensorInfo(info);
      });
      expect(error).toBeLessThan(1e-5);
    });
  },
);
