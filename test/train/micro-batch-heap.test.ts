import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { heapMeter, WASM_HEAP_MAX_BYTES, WasmHeapExhausted } from '../../src/backend/wasm/heap-meter';
import { createModel } from '../../src/models';
import { lossFunction } from '../../src/train/losses';
import { AdamOptimizer } from '../../src/train/optimizer';
import { paramGroups } from '../../src/train/param-groups';
import { TrainStep } from '../../src/train/step';
import { UserError } from '../../src/util/errors';

beforeAll(async () => {
  await initBackend('wasm');
});

/**
 * Fills the wasm heap to its ceiling with blocks that are never written (so the process's resident
 * memory stays small): 1 GiB blocks, then ever smaller ones down to 64 KiB. Returns them for freeing.
 */
function fillHeap(): tf.TensorInfo[] {
  const backend = tf.backend() as unknown as { makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo };
  const blocks: tf.TensorInfo[] = [];
  for (let bytes = 2 ** 30; bytes >= 2 ** 16; bytes /= 4) {
    for (;;) {
      try {
        blocks.push(backend.makeOutput([bytes / 4], 'float32'));
      } catch (e) {
        expect(e).toBeInstanceOf(WasmHeapExhausted);
        break;
      }
    }
  }
  return blocks;
}

test('a full wasm heap throws instead of placing tensors at address 0; a training step then says what to change in one line', async () => {
  const meter = heapMeter()!;
  expect(meter).not.toBeNull();
  const model = createModel('test_vit', { numClasses: 2, imageSize: 32, seed: 1 });
  const optimizer = new AdamOptimizer({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false });
  const step = new TrainStep({
    model,
    optimizer,
    lossFn: lossFunction('cross-entropy', 0),
    entries: paramGroups(model, { classifierOnly: false, layerDecay: null }),
    microBatch: 2,
  });
  const x = tf.zeros([4, 32, 32, 3]) as tf.Tensor4D;
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d([0, 1, 0, 1], 'int32'), 2), 'float32')) as tf.Tensor2D;
  const live = meter.liveBytes;
  const blocks = fillHeap();
  try {
    expect(meter.heapBytes()).toBeGreaterThan(WASM_HEAP_MAX_BYTES - 2 ** 26);
    expect(meter.liveBytes - live).toBeGreaterThan(3.5 * 2 ** 30);
    model.setTraining(true);
    const attempt = step.run({ x, y }, { seed: 1, key: '0:0' });
    await expect(attempt).rejects.toThrow(UserError);
    await expect(attempt).rejects.toThrow(
      /^test_vit at 32 px, 2 image\(s\) per pass: the wasm heap is full: \d+ MiB more did not fit \(\d+ MiB in use, heap \d+ MiB of at most 4096 MiB\); set train\.microBatch to auto \(or a smaller number\), or use a smaller model\.imageSize or a smaller model$/,
    );
  } finally {
    blocks.forEach((b) => tf.backend().disposeData(b.dataId));
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
  // The meter counted the blocks out again.
  expect(meter.liveBytes).toBeLessThan(live + 2 ** 26);
});
