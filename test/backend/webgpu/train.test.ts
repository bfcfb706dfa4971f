import * as tf from '@tensorflow/tfjs-core';
import { initBackend, releaseBackend } from '../../../src/backend/select';
import { createModel } from '../../../src/models';
import { syntheticBatch } from '../../../src/bench/bench';
import { lossFunction } from '../../../src/train/losses';
import { paramGroups } from '../../../src/train/param-groups';
import { TrainStep } from '../../../src/train/step';
import { AdamOptimizer } from '../../../src/train/optimizer';
import { describeIfAdapter } from './adapter';
import { TINY_EFFICIENTNET, TINY_VIT } from './tiny-models';

/** One small model per registered family (every kind of layer the family uses, few channels). */
const FAMILIES: { family: string; model: string; imageSize: number; args?: Record<string, unknown> }[] = [
  { family: 'efficientnet', ...TINY_EFFICIENTNET },
  { family: 'vit', ...TINY_VIT },
  {
    family: 'swin',
    model: 'swinv2_tiny_window8_256',
    imageSize: 32,
    args: { embedDim: 16, depths: [1, 1, 1, 1], numHeads: [1, 1, 2, 2], windowSize: 2 },
  },
  { family: 'resnet', model: 'resnet50', imageSize: 32, args: { layers: [1, 1, 1, 1], channels: [8, 8, 16, 16], stemWidth: 8 } },
  { family: 'densenet', model: 'densenet121', imageSize: 32, args: { growthRate: 4, blockConfig: [1, 1, 1, 1], bnSize: 2 } },
  { family: 'vgg', model: 'vgg16', imageSize: 32, args: { features: [8, 'M', 16, 'M'], mlpHidden: 16, mlpKernel: 1 } },
];

/** Losses of `steps` training steps (forward, loss, backward, Adam) from the same seeded start. */
async function lossCurve(spec: (typeof FAMILIES)[number], steps: number): Promise<{ losses: number[]; counts: number[] }> {
  const model = createModel(spec.model, { numClasses: 3, imageSize: spec.imageSize, seed: 5, args: spec.args, dropRate: 0, dropPathRate: 0 });
  const { x, y } = syntheticBatch(11, 2, spec.imageSize, 3);
  const optimizer = new AdamOptimizer({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false });
  const losses: number[] = [];
  const counts: number[] = [];
  try {
    // The trainer's own step (train/step.ts), full fine-tuning.
    const step = new TrainStep({
      model,
      optimizer,
      lossFn: lossFunction('cross-entropy', 0),
      entries: paramGroups(model, { classifierOnly: false, layerDecay: null }),
    });
    model.setTraining(true);
    for (let i = 0; i < steps; i++) {
      losses.push(await step.run({ x, y }, { seed: 3, key: `webgpu:${i}` }));
      counts.push(tf.memory().numTensors);
    }
  } finally {
    optimizer.dispose();
    tf.dispose([x, y]);
    model.dispose();
  }
  return { losses, counts };
}

describeIfAdapter()('training on webgpu (software adapter where there is no GPU)', () => {
  afterAll(() => releaseBackend());

  test.each(FAMILIES)(
    '$family: 3 Adam steps match cpu within 1e-4, tensor count flat',
    async (spec) => {
      await initBackend('cpu');
      const cpu = await lossCurve(spec, 3);
      const info = await initBackend('webgpu');
      expect(tf.getBackend()).toBe('webgpu');
      expect(info.adapter).toBeDefined();
      const gpu = await lossCurve(spec, 3);

      console.log(`${spec.family}: cpu ${cpu.losses.map((l) => l.toFixed(6)).join(' ')} | webgpu ${gpu.losses.map((l) => l.toFixed(6)).join(' ')}`);
      for (let i = 0; i < 3; i++) expect(Math.abs(gpu.losses[i] - cpu.losses[i])).toBeLessThan(1e-4);
      expect(cpu.losses[2]).not.toBeCloseTo(cpu.losses[0], 6);
      expect(gpu.counts[2]).toBe(gpu.counts[1]);
    },
    240_000,
  );
});
