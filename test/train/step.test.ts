import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { syntheticBatch } from '../../src/bench/bench';
import { createModel } from '../../src/models';
import { ClassifierModel } from '../../src/models/classifier';
import { withStochasticContext } from '../../src/models/layers/stochastic';
import { lossFunction } from '../../src/train/losses';
import { AdamOptimizer } from '../../src/train/optimizer';
import { paramGroups } from '../../src/train/param-groups';
import { TrainStep } from '../../src/train/step';

/** A tiny EfficientNet with drop-path, so that the stochastic key matters. */
const tinyModel = () =>
  createModel('test_efficientnet', {
    numClasses: 3,
    imageSize: 16,
    seed: 3,
    dropPathRate: 0.5,
    args: { headChannels: 16, stages: [{ block: 'ir', repeats: 2, kernel: 3, stride: 2, expand: 2, channels: 8, seRatio: 0.25 }] },
  });
const adam = () => new AdamOptimizer({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05, decoupled: true });
const lossFn = lossFunction('cross-entropy', 0.1);

/** Every variable's values (buffers included: batch-norm statistics move in training mode too). */
const snapshot = (model: ClassifierModel): Map<string, Float32Array> =>
  new Map(model.namedVariables().map((v) => [v.name, v.variable.dataSync() as Float32Array]));

/** The step written out by hand: tape the loss, map tf's variable names to parameter names, Adam, read the loss. */
async function handWrittenStep(
  model: ClassifierModel,
  optimizer: AdamOptimizer,
  classifierOnly: boolean,
  x: tf.Tensor4D,
  y: tf.Tensor2D,
  key: string,
): Promise<number> {
  const entries = paramGroups(model, { classifierOnly, layerDecay: null });
  const { value, grads } = withStochasticContext(9, key, () =>
    tf.variableGrads(
      () => lossFn(model.forward(x), y),
      entries.map((e) => e.variable),
    ),
  );
  const byName = new Map<string, tf.Tensor>();
  for (const e of entries) byName.set(e.name, grads[e.variable.name]);
  optimizer.apply(entries, byName);
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  return loss;
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('TrainStep', () => {
  test.each([
    ['full fine-tuning', false],
    ['linear probing', true],
  ])('%s: two steps change the weights exactly as the hand-written forward/grad/apply does', async (_name, classifierOnly) => {
    const { x, y } = syntheticBatch(4, 4, 16, 3);
    const [a, b] = [tinyModel(), tinyModel()];
    const [optA, optB] = [adam(), adam()];
    try {
      const before = snapshot(a);
      expect(snapshot(b)).toEqual(before);
      a.setTraining(!classifierOnly);
      b.setTraining(!classifierOnly);
      const step = new TrainStep({ model: a, optimizer: optA, lossFn, entries: paramGroups(a, { classifierOnly, layerDecay: null }) });
      const lossesA: number[] = [];
      const lossesB: number[] = [];
      for (const key of ['0:0', '0:1']) {
        lossesA.push(await step.run({ x, y }, { seed: 9, key }));
        lossesB.push(await handWrittenStep(b, optB, classifierOnly, x, y, key));
      }
      expect(lossesA).toEqual(lossesB);
      const after = snapshot(a);
      expect(after).toEqual(snapshot(b));
      // The step did train, and only what it was given.
      const head = `${a.classifierName}.`;
      const changed = [...after].filter(([k, v]) => !v.every((e, i) => e === before.get(k)![i])).map(([k]) => k);
      expect(changed.some((k) => k.startsWith(head))).toBe(true);
      expect(changed.some((k) => !k.startsWith(head))).toBe(!classifierOnly);
    } finally {
      tf.dispose([x, y]);
      [optA, optB].forEach((o) => o.dispose());
      [a, b].forEach((m) => m.dispose());
    }
  });

  test('gradients then apply (the seam for micro-batches, clipping, EMA) equals run; the key picks the drop-path masks; no tensor leaks', async () => {
    const { x, y } = syntheticBatch(4, 4, 16, 3);
    const models = [tinyModel(), tinyModel()];
    const optimizers = models.map(adam);
    try {
      const steps = models.map((model, i) => {
        model.setTraining(true);
        return new TrainStep({ model, optimizer: optimizers[i], lossFn, entries: paramGroups(model, { classifierOnly: false, layerDecay: null }) });
      });
      await steps[0].run({ x, y }, { seed: 9, key: '0:0' });
      const { loss, grads } = steps[1].gradients({ x, y }, { seed: 9, key: '0:0' });
      expect(grads.size).toBe(steps[1].entries.length);
      steps[1].apply(grads);
      tf.dispose([loss, ...grads.values()]);
      expect(snapshot(models[1])).toEqual(snapshot(models[0]));
      // Same weights, another key: other drop-path masks, another loss.
      const lossOneKey = await steps[0].run({ x, y }, { seed: 9, key: '0:1' });
      const lossOtherKey = await steps[1].run({ x, y }, { seed: 9, key: '0:2' });
      expect(Math.abs(lossOneKey - lossOtherKey)).toBeGreaterThan(1e-6);

      // Adam's moments exist after the first step; later steps leave the tensor count as it was.
      const count = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await steps[0].run({ x, y }, { seed: 9, key: `1:${i}` });
      expect(tf.memory().numTensors).toBe(count);
    } finally {
      tf.dispose([x, y]);
      optimizers.forEach((o) => o.dispose());
      models.forEach((m) => m.dispose());
    }
  });
});
