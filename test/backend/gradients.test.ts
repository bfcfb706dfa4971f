import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { gradientsRegistered, registerGradients } from '../../src/backend/gradients';

tf.env().set('IS_TEST', true);

const layersInstalled = ((): boolean => {
  try {
    require.resolve('@tensorflow/tfjs-layers');
    return true;
  } catch {
    return false;
  }
})();

test('tfjs-core alone registers no gradient functions (this runs before anything registers them)', () => {
  expect(tf.getGradient(tf.Conv2D)).toBeUndefined();
  expect(gradientsRegistered()).toBe(false);
});

(layersInstalled ? test : test.skip)('registerGradients makes tf.grad work (idempotently)', async () => {
  await tf.setBackend('cpu');
  registerGradients();
  registerGradients();
  expect(gradientsRegistered()).toBe(true);
  const dy = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([3, -1]));
  expect(Array.from(dy.dataSync())).toEqual([6, -2]);
});

(layersInstalled ? test.skip : test)('without @tensorflow/tfjs-layers, registerGradients says what to install', () => {
  expect(() => registerGradients()).toThrow(/install @tensorflow\/tfjs-layers 4\.22\.0/);
});
