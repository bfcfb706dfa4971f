import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/backend/select';
import { describeWithGradients, randomTensor, build } from './compare-backends';

/**
 * End to end: a small conv net (strided conv, depthwise conv with a channel multiplier, pointwise conv,
 * dense head) trains on wasm with Adam. Every gradient kernel wasm lacked is on this path.
 */
describeWithGradients('a small conv net trains on wasm', () => {
  test('loss falls over a few Adam steps, with no missing kernel', async () => {
    // IS_TEST's per-kernel leak check misreads the tensors softmaxCrossEntropy's custom gradient keeps.
    tf.env().set('IS_TEST', false);
    const info = await initBackend('wasm');
    expect(info.gradients).toBe(true);
    // 8 images 12×12×3 whose class is whether the red channel is brighter than the blue one.
    const images = randomTensor([8, 12, 12, 3], 11);
    const labels = Array.from({ length: 8 }, (_, i) => {
      let red = 0;
      let blue = 0;
      for (let p = 0; p < 144; p++) {
        red += images.values[(i * 144 + p) * 3];
        blue += images.values[(i * 144 + p) * 3 + 2];
      }
      return red > blue ? 1 : 0;
    });
    const x = build(images) as tf.Tensor4D;
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
    const init = (shape: number[], seed: number, scale: number): tf.Variable => tf.variable(tf.mul(build(randomTensor(shape, seed, 'init')), scale));
    const params = {
      stem: init([3, 3, 3, 8], 1, 0.3), // conv 3×3 stride 2: Conv2DBackpropFilter
      depthwise: init([3, 3, 8, 2], 2, 0.3), // depthwise, multiplier 2: both depthwise gradient kernels
      pointwise: init([1, 1, 16, 8], 3, 0.3),
      dense: init([8, 2], 4, 0.3),
      bias: tf.variable(tf.zeros([2])),
    };
    const loss = (): tf.Scalar => {
      let h = tf.relu(tf.conv2d(x, params.stem as tf.Tensor4D, 2, 'same'));
      h = tf.relu(tf.depthwiseConv2d(h, params.depthwise as tf.Tensor4D, 1, 'same'));
      h = tf.relu(tf.conv2d(h, params.pointwise as tf.Tensor4D, 1, 'valid'));
      const pooled = tf.mean(h, [1, 2]);
      const logits = tf.add(tf.matMul(pooled, params.dense), params.bias);
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
    };
    const optimizer = tf.train.adam(0.05);
    const losses: number[] = [];
    const tensorsBefore = tf.memory().numTensors;
    for (let step = 0; step < 12; step++) {
      const value = optimizer.minimize(loss, true, Object.values(params)) as tf.Scalar;
      losses.push(value.dataSync()[0]);
      value.dispose();
    }
    expect(tf.getBackend()).toBe('wasm');
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(0.7 * losses[0]);
    // Adam's moment variables are created on the first step; after that nothing accumulates.
    const afterFirst = tf.memory().numTensors;
    optimizer.minimize(loss, false, Object.values(params));
    expect(tf.memory().numTensors).toBe(afterFirst);
    expect(afterFirst).toBeGreaterThan(tensorsBefore);
    tf.dispose([x, y, ...Object.values(params)]);
    optimizer.dispose();
  });
});
