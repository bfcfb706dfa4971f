import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerGradients } from '../../../src/backend/gradients';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import { heapMeter } from '../../../src/backend/wasm/heap-meter';
import { wasmHeap } from '../../../src/backend/wasm/heap-layout';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
  registerGradients();
});

const TWO_GIB = 2 ** 31;

/** The gradients whose kernels copy channel runs through a view of the whole heap (im2col, spreadWindow). */
function gradients(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomNormal([2, 12, 12, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, 16, 8], 0, 1, 'float32', 4) as tf.Tensor4D;
    const depthwise = tf.randomNormal([3, 3, 16, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const dFilter = tf.grad((f) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'))))(filter);
    const dInput = tf.grad((v) => tf.sum(tf.square(tf.depthwiseConv2d(v as tf.Tensor4D, depthwise, 2, 'same'))))(x);
    return [dFilter.dataSync() as Float32Array, dInput.dataSync() as Float32Array];
  });
}

/**
 * Addresses past 2 GiB are negative as signed 32-bit integers: a heap offset computed with `>> 2` made
 * the copies land elsewhere in the heap (resnet50 at batch 8 then corrupted malloc's state and aborted).
 * Fillers push the heap past 2 GiB, and the same gradients must come out as they did low in the heap.
 */
test('kernels that copy through the heap give the same gradients above 2 GiB', () => {
  const low = gradients();
  const fillers: tf.Tensor[] = [];
  const heap = wasmHeap(tf.backend());
  const addressOf = (t: tf.Tensor): number => heap.typedArrayFromHeap(t).byteOffset;
  let probe = tf.zeros([1024]);
  while (addressOf(probe) < TWO_GIB + 64 * 2 ** 20) {
    fillers.push(probe, tf.zeros([2 ** 25])); // 128 MiB each
    probe = tf.zeros([1024]);
  }
  fillers.push(probe);
  // At exactly 4 GiB the wrong offset wraps round to the right one and the test would prove nothing.
  expect(heapMeter()!.heapBytes()).toBeLessThan(2 ** 32 - 2 ** 28);
  const high = gradients();
  expect(Array.from(high[0])).toEqual(Array.from(low[0]));
  expect(Array.from(high[1])).toEqual(Array.from(low[1]));
  tf.dispose(fillers);
}, 120_000);
