import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { heapMeter } from '../../src/backend/wasm/heap-meter';
import { syntheticBatch } from '../../src/bench/bench';
import { validateConfig } from '../../src/config/load';
import { createModel, ModelOptions } from '../../src/models';
import { ClassifierModel } from '../../src/models/classifier';
import * as checkpointModule from '../../src/models/layers/checkpoint';
import { lossFunction } from '../../src/train/losses';
import { AdamOptimizer } from '../../src/train/optimizer';
import { paramGroups } from '../../src/train/param-groups';
import { StepGradients, TrainStep } from '../../src/train/step';
import { UserError } from '../../src/util/errors';

/** Small models of each family that supports checkpointing, with stochastic depth and dropout on. */
const FAMILIES: { name: string; model: string; options: Omit<ModelOptions, 'numClasses'> }[] = [
  {
    name: 'ViT (test_vit)',
    model: 'test_vit',
    options: { imageSize: 32, dropRate: 0.3, dropPathRate: 0.5, args: { depth: 3, embedDim: 32, numHeads: 2, patchSize: 8 } },
  },
  {
    name: 'DINOv2 (layer scale)',
    model: 'vit_small_patch14_dinov2',
    options: { imageSize: 28, dropRate: 0.3, dropPathRate: 0.5, args: { depth: 2, embedDim: 32, numHeads: 2 } },
  },
  {
    name: 'Swin V2 (shifted windows)',
    model: 'swinv2_tiny_window8_256',
    options: { imageSize: 32, dropRate: 0.3, dropPathRate: 0.5, args: { embedDim: 16, depths: [2, 2], numHeads: [1, 2], windowSize: 4 } },
  },
  {
    name: 'ResNet (batch norm)',
    model: 'resnet18',
    options: { imageSize: 32, dropRate: 0.3, dropPathRate: 0.5, args: { layers: [2, 1], channels: [8, 16], stemWidth: 8 } },
  },
  {
    name: 'EfficientNet (SE, fused batch norm)',
    model: 'test_efficientnet',
    options: {
      imageSize: 16,
      dropRate: 0.3,
      dropPathRate: 0.5,
      args: {
        headChannels: 16,
        stages: [
          { block: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 8, seRatio: 0.25 },
          { block: 'er', repeats: 1, kernel: 3, stride: 1, expand: 2, channels: 8, seRatio: 0 },
          { block: 'ir', repeats: 2, kernel: 3, stride: 2, expand: 2, channels: 8, seRatio: 0.25 },
        ],
      },
    },
  },
  {
    name: 'DenseNet (concatenated inputs)',
    model: 'densenet121',
    options: { imageSize: 32, dropRate: 0.3, args: { growthRate: 4, blockConfig: [2, 2], bnSize: 2, projDropRate: 0.2 } },
  },
];

const NUM_CLASSES = 3;
const lossFn = lossFunction('cross-entropy', 0.1);
const adam = () => new AdamOptimizer({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05, decoupled: true });
const stepFor = (model: ClassifierModel) =>
  new TrainStep({ model, optimizer: adam(), lossFn, entries: paramGroups(model, { classifierOnly: false, layerDecay: null }) });

/**
 * The model with every parameter moved off its initial value by seeded noise: Swin V2's post-norms and
 * ResNet's last batch norms start at zero, which would zero most gradients and hide a wrong one.
 */
function build(model: string, options: Omit<ModelOptions, 'numClasses'>, checkpointActivations: boolean): ClassifierModel {
  const m = createModel(model, { ...options, numClasses: NUM_CLASSES, seed: 11, checkpointActivations });
  m.namedVariables()
    .filter((v) => !v.isBuffer)
    .forEach((v, i) => tf.tidy(() => v.variable.assign(tf.add(v.variable, tf.randomNormal(v.variable.shape, 0, 0.2, 'float32', 100 + i)))));
  return m.setTraining(true);
}

function release(g: StepGradients): void {
  tf.dispose([g.loss, ...g.grads.values()]);
}

/** Largest |a − b| over each gradient relative to that gradient's largest |b|, and whether all were bit-identical. */
function compare(a: StepGradients, b: StepGradients): { worst: number; identical: boolean } {
  expect([...a.grads.keys()].sort()).toEqual([...b.grads.keys()].sort());
  let worst = 0;
  let identical = true;
  for (const [name, ga] of a.grads) {
    const va = ga.dataSync();
    const vb = b.grads.get(name)!.dataSync();
    let scale = 1e-30;
    vb.forEach((v) => (scale = Math.max(scale, Math.abs(v))));
    va.forEach((v, i) => {
      if (v !== vb[i]) identical = false;
      worst = Math.max(worst, Math.abs(v - vb[i]) / scale);
    });
  }
  return { worst, identical };
}

const buffers = (m: ClassifierModel) =>
  new Map(
    m
      .namedVariables()
      .filter((v) => v.isBuffer)
      .map((v) => [v.name, Array.from(v.variable.dataSync())]),
  );

beforeAll(async () => {
  await initBackend('wasm');
});

describe('model.checkpointActivations', () => {
  test.each(FAMILIES)('$name: the loss and every gradient equal those without checkpointing', ({ model, options }) => {
    const { x, y } = syntheticBatch(3, 4, options.imageSize!, NUM_CLASSES);
    const plain = build(model, options, false);
    const checkpointed = build(model, options, true);
    const spy = jest.spyOn(checkpointModule, 'checkpoint');
    try {
      const a = stepFor(plain).gradients({ x, y }, { seed: 9, key: '0:0' });
      expect(spy).not.toHaveBeenCalled();
      const b = stepFor(checkpointed).gradients({ x, y }, { seed: 9, key: '0:0' });
      expect(spy).toHaveBeenCalled();
      // Batch-norm running statistics (ResNet) moved once, as without checkpointing.
      expect(buffers(checkpointed)).toEqual(buffers(plain));
      // Another key draws other masks: the masks matter, so equal gradients mean they were replayed.
      const other = stepFor(plain).gradients({ x, y }, { seed: 9, key: '0:1' });
      try {
        expect(b.loss.dataSync()[0]).toBe(a.loss.dataSync()[0]);
        const { worst, identical } = compare(b, a);
        expect(worst).toBeLessThan(1e-6);
        if (!identical) console.log(`${model}: checkpointed gradients differ from the plain ones by at most ${worst.toExponential(2)} (relative)`);
        expect(compare(other, a).worst).toBeGreaterThan(1e-3);
        expect(b.grads.size).toBe(plain.parameters().length);
      } finally {
        [a, b, other].forEach(release);
      }
    } finally {
      spy.mockRestore();
      tf.dispose([x, y]);
      plain.dispose();
      checkpointed.dispose();
    }
  });

  test.each(FAMILIES)('$name: training steps leave no tensors behind; inference does not checkpoint', async ({ model, options }) => {
    const { x, y } = syntheticBatch(4, 4, options.imageSize!, NUM_CLASSES);
    const m = build(model, options, true);
    const step = stepFor(m);
    const spy = jest.spyOn(checkpointModule, 'checkpoint');
    try {
      // The first step allocates Adam's moments.
      await step.run({ x, y }, { seed: 1, key: '0:0' });
      const after = tf.memory().numTensors;
      for (let i = 1; i <= 3; i++) {
        const loss = await step.run({ x, y }, { seed: 1, key: `0:${i}` });
        expect(Number.isFinite(loss)).toBe(true);
        expect(tf.memory().numTensors).toBe(after);
      }
      expect(spy).toHaveBeenCalled();
      spy.mockClear();
      m.setTraining(false);
      tf.dispose(m.forward(x));
      expect(spy).not.toHaveBeenCalled();
      expect(tf.memory().numTensors).toBe(after);
    } finally {
      spy.mockRestore();
      step.optimizer.dispose();
      tf.dispose([x, y]);
      m.dispose();
    }
  });

  test("a deep ViT's training step peaks lower on the wasm heap", () => {
    const options = { imageSize: 64, args: { depth: 12, embedDim: 64, numHeads: 2, patchSize: 8 } };
    const { x, y } = syntheticBatch(5, 8, 64, NUM_CLASSES);
    const meter = heapMeter();
    expect(meter).not.toBeNull();
    const peak = (checkpointActivations: boolean): number => {
      const m = build('test_vit', options, checkpointActivations);
      try {
        const step = stepFor(m);
        meter!.resetPeak();
        const before = meter!.liveBytes;
        const g = step.gradients({ x, y }, { seed: 2, key: '0:0' });
        const bytes = meter!.peakBytes - before;
        release(g);
        return bytes;
      } finally {
        m.dispose();
      }
    };
    try {
      const plain = peak(false);
      const checkpointed = peak(true);
      console.log(
        `test_vit depth 12, 64 px, batch 8: a step's peak ${(plain / 2 ** 20).toFixed(1)} MiB plain, ${(checkpointed / 2 ** 20).toFixed(1)} MiB checkpointed`,
      );
      expect(checkpointed).toBeLessThan(0.6 * plain);
    } finally {
      tf.dispose([x, y]);
    }
  });

  test('a family that cannot checkpoint is a UserError naming the model, leaving no tensors', () => {
    const before = tf.memory().numTensors;
    const build = () =>
      createModel('vgg16', {
        numClasses: 2,
        imageSize: 32,
        initialize: false,
        checkpointActivations: true,
        args: { features: [8, 'M'], mlpHidden: 16, mlpKernel: 1 },
      });
    expect(build).toThrow(UserError);
    expect(build).toThrow(/^model\.checkpointActivations: vgg16 does not support activation checkpointing/);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('the config key is a boolean, false by default, with a one-line error naming it', () => {
    const raw = (model: Record<string, unknown>) => ({
      name: 't',
      model: { name: 'test_vit', ...model },
      data: { source: 'synthetic', task: 'glaucoma' },
    });
    expect(validateConfig(raw({}), 'c.yaml').model.checkpointActivations).toBe(false);
    expect(validateConfig(raw({ checkpointActivations: true }), 'c.yaml').model.checkpointActivations).toBe(true);
    expect(() => validateConfig(raw({ checkpointActivations: 'yes' }), 'c.yaml')).toThrow(/^[^\n]*model\.checkpointActivations[^\n]*$/);
    expect(() => validateConfig(raw({ checkpointActivation: true }), 'c.yaml')).toThrow(/did you mean "checkpointActivations"/);
  });
});
