import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { heapMeter } from '../../../src/backend/wasm/heap-meter';
import { releaseCachedOperators } from '../../../src/backend/wasm/xnn-operator-cache';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
});

/**
 * The weight gradient of a 1×1 convolution or a linear layer, xᵀ·dy with few input channels, runs
 * flipped and has XNNPACK pack x. x stays alive (as an activation on the tape does), so before the fix
 * a packed copy of every x stayed in the heap with it: 40 kept inputs of 1 MiB grew the heap by about
 * twice what the tensors held.
 */
test('products that pack a kept activation leave no packed copy behind', () => {
  const meter = heapMeter()!;
  const dy = tf.randomNormal([8192, 256], 0, 1, 'float32', 1);
  const kept: tf.Tensor[] = [];
  const heapBefore = meter.heapBytes();
  const liveBefore = meter.liveBytes;
  for (let i = 0; i < 40; i++) {
    const x = tf.randomNormal([8192, 32], 0, 1, 'float32', i + 2);
    kept.push(x);
    tf.tidy(() => tf.matMul(x, dy, true, false).dataSync());
  }
  const keptBytes = meter.liveBytes - liveBefore;
  expect(keptBytes).toBe(40 * 8192 * 32 * 4);
  // The heap grows in steps of about 20%; a packed copy per input would add another keptBytes.
  expect(meter.heapBytes() - heapBefore).toBeLessThan(keptBytes * 1.45);
  tf.dispose([...kept, dy]);
});

test('releasing the cached operators keeps the data and the product', () => {
  const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]);
  const before = tf.matMul(a, b).arraySync();
  releaseCachedOperators(b, tf.backend());
  releaseCachedOperators(b, tf.backend());
  expect(b.arraySync()).toEqual([
    [1, 0],
    [0, 1],
    [1, 1],
  ]);
  expect(tf.matMul(a, b).arraySync()).toEqual(before);
  tf.dispose([a, b]);
});
