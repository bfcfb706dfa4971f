import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { optimizationsEnabled, setOptimizationsEnabled } from '../../src/backend/optimizations';
import { createModel } from '../../src/models';
import { AdamOptimizer } from '../../src/train/optimizer';
import { syntheticBatch } from '../../src/bench/bench';
import { lossFunction } from '../../src/train/losses';
import { paramGroups } from '../../src/train/param-groups';
import { TrainStep } from '../../src/train/step';

/**
 * Training must not change beyond float rounding with fundus-train's wasm speed-ups (native kernels,
 * fused batch norm, layer norm, GELU, squeeze-and-excitation and Adam, replaced shipped kernels, threads):
 * a short run of the trainer's step on a tiny EfficientNet and a tiny ViT, same seed, gives the same loss curve with the
 * speed-ups on and off.
 */

const STEPS = 5;

beforeAll(async () => {
  const info = await initBackend('wasm');
  expect(info.gradients).toBe(true);
});

afterAll(() => setOptimizationsEnabled(true));

async function lossCurve(name: string, args: Record<string, unknown>, optimizations: boolean): Promise<number[]> {
  setOptimizationsEnabled(optimizations);
  const model = createModel(name, { numClasses: 3, imageSize: 32, seed: 11, args });
  const optimizer = new AdamOptimizer({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05, decoupled: true });
  const { x, y } = syntheticBatch(5, 8, 32, 3);
  try {
    // The step training runs (train/step.ts), with dropout masks keyed as the trainer keys them.
    const step = new TrainStep({
      model,
      optimizer,
      lossFn: lossFunction('cross-entropy', 0),
      entries: paramGroups(model, { classifierOnly: false, layerDecay: null }),
    });
    model.setTraining(true);
    const losses: number[] = [];
    for (let i = 0; i < STEPS; i++) losses.push(await step.run({ x, y }, { seed: 5, key: `0:${i}` }));
    return losses;
  } finally {
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}

test.each([
  ['test_efficientnet', {}],
  ['test_vit', { depth: 2, embedDim: 32, numHeads: 2, patchSize: 8 }],
])('%s: the same loss curve (within 1e-4) with and without the speed-ups', async (name, args) => {
  const fast = await lossCurve(name, args, true);
  const plain = await lossCurve(name, args, false);
  expect(optimizationsEnabled()).toBe(false);
  // The curve moves: equal curves are not equal by being flat.
  expect(Math.abs(fast[STEPS - 1] - fast[0])).toBeGreaterThan(1e-2);
  fast.forEach((loss, i) => expect(Math.abs(loss - plain[i])).toBeLessThan(1e-4));
});
