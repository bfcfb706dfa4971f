import * as tf from '@tensorflow/tfjs-core';
import { initBackend, releaseBackend } from '../../../src/backend/select';
import { describeIfAdapter } from './adapter';

// Apart from select.test.ts, and without re-opening the device after releaseBackend(): Dawn's Node
// binding sometimes aborts a process that opens a device again after releasing one (std::system_error).
// Commands open it once and release it at their end.
describeIfAdapter()('webgpu in Node', () => {
  afterEach(() => releaseBackend());

  test('a synchronous read says to read asynchronously', async () => {
    await initBackend('webgpu');
    const before = tf.memory().numTensors;
    const [a, b] = [tf.scalar(1), tf.scalar(2)];
    const t = tf.add(a, b);
    expect(Array.from(await t.data())).toEqual([3]);
    // Large enough that tfjs-webgpu does not hand it to the CPU: its values exist only on the GPU.
    const twos = tf.fill([4096], 2);
    const u = tf.mul(twos, t);
    expect(() => u.dataSync()).toThrow(/cannot read a tensor synchronously in Node.*await tensor\.data\(\)/);
    tf.dispose([a, b, t, twos, u]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
