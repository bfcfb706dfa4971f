import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { syntheticBatch } from '../../src/bench/bench';
import { createModel } from '../../src/models';
import { ClassifierModel } from '../../src/models/classifier';
import { lossFunction } from '../../src/train/losses';
import { microBatchSizes } from '../../src/train/micro-batch';
import { AdamOptimizer } from '../../src/train/optimizer';
import { paramGroups } from '../../src/train/param-groups';
import { StepGradients, TrainStep } from '../../src/train/step';

const tinyVit = () => createModel('test_vit', { numClasses: 3, imageSize: 32, seed: 5 });
const tinyEfficientNet = (dropPathRate = 0) =>
  createModel('test_efficientnet', {
    numClasses: 3,
    imageSize: 16,
    seed: 3,
    dropPathRate,
    args: { headChannels: 16, stages: [{ block: 'ir', repeats: 2, kernel: 3, stride: 2, expand: 2, channels: 8, seRatio: 0.25 }] },
  });
const adam = () => new AdamOptimizer({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05, decoupled: true });
const lossFn = lossFunction('cross-entropy', 0.1);
const stepFor = (model: ClassifierModel, optimizer: AdamOptimizer, microBatch?: number) =>
  new TrainStep({ model, optimizer, lossFn, entries: paramGroups(model, { classifierOnly: false, layerDecay: null }), microBatch });
const snapshot = (model: ClassifierModel): Map<string, Float32Array> =>
  new Map(model.namedVariables().map((v) => [v.name, v.variable.dataSync() as Float32Array]));

/** Largest |a − b| over every gradient, relative to the largest |b| of that gradient. */
function largestRelativeDifference(a: StepGradients, b: StepGradients): number {
  expect([...a.grads.keys()].sort()).toEqual([...b.grads.keys()].sort());
  let worst = 0;
  for (const [name, ga] of a.grads) {
    const va = ga.dataSync();
    const vb = b.grads.get(name)!.dataSync();
    let scale = 1e-12;
    vb.forEach((v) => (scale = Math.max(scale, Math.abs(v))));
    va.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - vb[i]) / scale)));
  }
  return worst;
}
const disposeGradients = (g: StepGradients) => tf.dispose([g.loss, ...g.grads.values()]);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('microBatchSizes', () => {
  test('as few passes as the micro-batch allows, sizes within one of each other', () => {
    expect(microBatchSizes(8)).toEqual([8]);
    expect(microBatchSizes(8, 8)).toEqual([8]);
    expect(microBatchSizes(8, 32)).toEqual([8]);
    expect(microBatchSizes(8, 4)).toEqual([4, 4]);
    expect(microBatchSizes(8, 3)).toEqual([3, 3, 2]);
    expect(microBatchSizes(32, 12)).toEqual([11, 11, 10]);
    expect(microBatchSizes(5, 1)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('gradient accumulation over micro-batches', () => {
  test.each([
    ['ViT (no batch norm), training mode', tinyVit, true, 4],
    ['EfficientNet, batch norm on running statistics', () => tinyEfficientNet(), false, 6],
  ])('%s: the accumulated gradients and loss equal the full batch to float rounding', (_name, make, training, batch) => {
    const model = make();
    const optimizer = adam();
    const { x, y } = syntheticBatch(7, batch, model.imageSize, 3);
    try {
      model.setTraining(training);
      const step = stepFor(model, optimizer);
      const before = tf.memory().numTensors;
      const full = step.gradients({ x, y }, { seed: 1, key: 'k' });
      for (const sizes of [microBatchSizes(batch, 2), microBatchSizes(batch, 3), microBatchSizes(batch, 1)]) {
        const parts = step.accumulatedGradients({ x, y }, { seed: 1, key: 'k' }, sizes);
        expect(largestRelativeDifference(parts, full)).toBeLessThan(2e-5);
        expect(parts.loss.dataSync()[0]).toBeCloseTo(full.loss.dataSync()[0], 5);
        disposeGradients(parts);
      }
      disposeGradients(full);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    }
  });

  test('batch norm in training mode: statistics are per micro-batch, so the gradients differ (as in PyTorch with accumulation)', () => {
    const model = tinyEfficientNet();
    const optimizer = adam();
    const { x, y } = syntheticBatch(7, 6, 16, 3);
    try {
      model.setTraining(true);
      const step = stepFor(model, optimizer);
      const buffers = () =>
        model
          .namedVariables()
          .filter((v) => v.isBuffer)
          .map((v) => v.variable.dataSync()[0]);
      const full = step.gradients({ x, y }, { seed: 1, key: 'k' });
      const parts = step.accumulatedGradients({ x, y }, { seed: 1, key: 'k' }, [3, 3]);
      expect(largestRelativeDifference(parts, full)).toBeGreaterThan(1e-4);
      expect(buffers().every(Number.isFinite)).toBe(true);
      [full, parts].forEach(disposeGradients);
    } finally {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    }
  });

  test('microBatch equal to the batch (or larger) trains bit-identically to no micro-batch', async () => {
    const { x, y } = syntheticBatch(4, 4, 16, 3);
    const models = [tinyEfficientNet(0.5), tinyEfficientNet(0.5), tinyEfficientNet(0.5)];
    const optimizers = models.map(adam);
    try {
      const steps = [stepFor(models[0], optimizers[0]), stepFor(models[1], optimizers[1], 4), stepFor(models[2], optimizers[2], 16)];
      models.forEach((m) => m.setTraining(true));
      const losses = await Promise.all(
        steps.map(async (s) => [await s.run({ x, y }, { seed: 9, key: '0:0' }), await s.run({ x, y }, { seed: 9, key: '0:1' })]),
      );
      expect(losses[1]).toEqual(losses[0]);
      expect(losses[2]).toEqual(losses[0]);
      expect(snapshot(models[1])).toEqual(snapshot(models[0]));
      expect(snapshot(models[2])).toEqual(snapshot(models[0]));
    } finally {
      tf.dispose([x, y]);
      optimizers.forEach((o) => o.dispose());
      models.forEach((m) => m.dispose());
    }
  });

  test('micro-batched steps: drop-path masks keyed per (step, micro-batch), so two runs agree to the bit; training moves the weights; no leaks', async () => {
    const { x, y } = syntheticBatch(4, 6, 16, 3);
    const models = [tinyEfficientNet(0.5), tinyEfficientNet(0.5)];
    const optimizers = models.map(adam);
    try {
      const initial = snapshot(models[0]);
      models.forEach((m) => m.setTraining(true));
      const steps = models.map((m, i) => stepFor(m, optimizers[i], 4));
      const before = tf.memory().numTensors;
      const losses: number[][] = [[], []];
      for (const key of ['0:0', '0:1', '0:2']) for (let i = 0; i < 2; i++) losses[i].push(await steps[i].run({ x, y }, { seed: 9, key }));
      // Adam's moments are created on the first step; after that the count stays flat.
      const afterFirst = tf.memory().numTensors;
      await steps[0].run({ x, y }, { seed: 9, key: '0:3' });
      expect(tf.memory().numTensors).toBe(afterFirst);
      expect(afterFirst).toBeGreaterThanOrEqual(before);
      await steps[1].run({ x, y }, { seed: 9, key: '0:3' });
      expect(losses[1]).toEqual(losses[0]);
      expect(losses[0].every(Number.isFinite)).toBe(true);
      expect(snapshot(models[1])).toEqual(snapshot(models[0]));
      expect(snapshot(models[0])).not.toEqual(initial);
    } finally {
      tf.dispose([x, y]);
      optimizers.forEach((o) => o.dispose());
      models.forEach((m) => m.dispose());
    }
  });
});
