import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { build, describeWithGradients, intTensor, randomTensor } from './compare-backends';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
});

/** Tensors the engine tracks and buffers the wasm backend holds. */
function counts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: (tf.backend() as BackendWasm).numDataIds() };
}

/** Runs `step` once to warm up, then `repeats` more times, expecting no growth. */
function expectFlat(step: () => void, repeats = 4): void {
  step();
  const before = counts();
  for (let i = 0; i < repeats; i++) step();
  expect(counts()).toEqual(before);
}

test('each added or replaced kernel, called directly, leaves nothing behind', () => {
  const x = build(randomTensor([2, 9, 8, 4], 1));
  const dyConv = build(randomTensor([2, 5, 4, 6], 2));
  const dyDepthwise = build(randomTensor([2, 5, 4, 8], 3));
  const filter = build(randomTensor([3, 3, 4, 2], 4));
  const convFilter = build(randomTensor([3, 3, 4, 6], 9));
  const ids = build(intTensor([2], [1, 0]));
  const tokens = tf.reshape(x, [2, 72, 4]);
  const bias = tf.ones([4]);
  expectFlat(() => {
    const outs = [
      tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dyConv }, {
        strides: 2,
        pad: 'same',
        dataFormat: 'NHWC',
        filterShape: [3, 3, 4, 6],
      } as unknown as tf.NamedAttrMap),
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy: dyDepthwise }, {
        strides: 2,
        pad: 'same',
        dilations: 1,
        filterShape: [3, 3, 4, 2],
      } as unknown as tf.NamedAttrMap),
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy: dyDepthwise, filter }, {
        strides: 2,
        pad: 'same',
        dilations: 1,
        inputShape: [2, 9, 8, 4],
      } as unknown as tf.NamedAttrMap),
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dyConv, filter: convFilter }, {
        strides: 2,
        pad: 'same',
        dataFormat: 'NHWC',
        inputShape: [2, 9, 8, 4],
      } as unknown as tf.NamedAttrMap),
      tf.engine().runKernel(tf.UnsortedSegmentSum, { x, segmentIds: ids }, { numSegments: 3 }),
      tf.matMul(tokens, tokens, true, false),
      tf.fused.matMul({ a: tokens, b: tokens, transposeA: true, bias, activation: 'relu' }),
    ] as tf.Tensor[];
    tf.dispose(outs);
  });
  tf.dispose([x, dyConv, dyDepthwise, filter, ids, tokens, bias, convFilter]);
});

describeWithGradients('training-style gradients', () => {
  test('repeated tf.grads through every added kernel keep tf.memory().numTensors flat', () => {
    const x = build(randomTensor([2, 11, 9, 3], 5));
    const w1 = build(randomTensor([3, 3, 3, 8], 6));
    const w2 = build(randomTensor([3, 3, 8, 2], 7));
    const table = build(randomTensor([9, 16], 8));
    const index = build(intTensor([12], [0, 3, 3, 8, 1, 2, 2, 2, 7, 0, 5, 4]));
    const lossGrads = tf.grads((xv: tf.Tensor, a: tf.Tensor, b: tf.Tensor, t: tf.Tensor) => {
      const h = tf.relu(tf.conv2d(xv as tf.Tensor4D, a as tf.Tensor4D, 2, 'same'));
      const d = tf.depthwiseConv2d(h, b as tf.Tensor4D, 1, 'same'); // [2, 6, 5, 16]
      const tokens = tf.reshape(d, [2, 30, 16]);
      const attention = tf.softmax(tf.matMul(tokens, tokens, false, true));
      const mixed = tf.matMul(attention, tokens);
      const bias = tf.reshape(tf.gather(t, index), [12, 16]);
      return tf.add(tf.mean(tf.square(mixed)), tf.mean(bias));
    });
    expectFlat(() => tf.dispose(lossGrads([x, w1, w2, table])));
    tf.dispose([x, w1, w2, table, index]);
  });
});
