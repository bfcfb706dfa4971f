import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { experimentConfigSchema } from '../../src/config/schema';
import { createModel } from '../../src/models';
import { ClassifierModel } from '../../src/models/classifier';
import { lossFunction } from '../../src/train/losses';
import { MEMORY_SAFETY, measureStepMemory, resolveMicroBatch, StepMemory, stepBytes } from '../../src/train/micro-batch-memory';
import { AdamOptimizer } from '../../src/train/optimizer';
import { paramGroups } from '../../src/train/param-groups';
import { TrainStep } from '../../src/train/step';
import { train } from '../../src/train/trainer';
import { UserError } from '../../src/util/errors';
import { cli } from '../helpers/cli';

const modelArgs = {
  headChannels: 64,
  stages: [
    { block: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 8, seRatio: 0.25 },
    { block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 2, channels: 16, seRatio: 0.25 },
  ],
};
const tinyModel = () => createModel('test_efficientnet', { numClasses: 2, imageSize: 32, seed: 7, dropPathRate: 0.1, args: modelArgs });
const newStep = (model: ClassifierModel, optimizer: AdamOptimizer, microBatch?: number) =>
  new TrainStep({
    model,
    optimizer,
    lossFn: lossFunction('cross-entropy', 0),
    entries: paramGroups(model, { classifierOnly: false, layerDecay: null }),
    microBatch,
  });
const adam = () => new AdamOptimizer({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false });
/** The limit (MiB) under which exactly `n` images per pass fit a batch of `batch`. */
const limitFor = (m: StepMemory, n: number, batch: number) => (stepBytes(m, n, batch) + 1) / MEMORY_SAFETY / 2 ** 20;

async function measured(): Promise<StepMemory> {
  const model = tinyModel();
  const optimizer = adam();
  try {
    return await measureStepMemory(newStep(model, optimizer), 2);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

beforeAll(async () => {
  await initBackend('wasm');
});

test('the measurement: memory grows with the images per pass; the probe leaves weights, batch-norm statistics and the tensor count as they were', async () => {
  const model = tinyModel();
  const optimizer = adam();
  try {
    const values = () => model.namedVariables().map((v) => Array.from(v.variable.dataSync()));
    const before = values();
    const tensors = tf.memory().numTensors;
    const m = await measureStepMemory(newStep(model, optimizer), 2);
    expect(values()).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
    // 32-px images through 8 then 16 channels: tens of KiB of activations per image at least.
    expect(m.perImageBytes).toBeGreaterThan(32 * 32 * 8 * 4);
    expect(m.fixedBytes).toBeGreaterThan(0);
    expect(m.optimizerBytes).toBe(2 * m.accumulatorBytes);
    expect(m.accumulatorBytes).toBe(4 * paramGroups(model, { classifierOnly: false, layerDecay: null }).reduce((s, e) => s + e.variable.size, 0));
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});

test('microBatch auto picks the largest micro-batch under the limit, and that micro-batch then trains', async () => {
  const m = await measured();
  const model = tinyModel();
  const optimizer = adam();
  try {
    const step = newStep(model, optimizer);
    const choose = (memoryLimitMiB?: number) => resolveMicroBatch({ setting: 'auto', batchSize: 8, memoryLimitMiB, step, numClasses: 2 });
    // Under the wasm heap's 4 GiB, the whole batch fits a model this small.
    expect((await choose()).microBatch).toBe(8);
    const tight = await choose(limitFor(m, 3, 8));
    expect(tight.microBatch).toBeGreaterThanOrEqual(2);
    expect(tight.microBatch).toBeLessThan(8);
    expect(tight.line).toMatch(/^train\.microBatch auto: \d \(batch 8 in \d passes; measured \d+ MiB \+ \d+ MiB per image/);
    // Numbers and absent settings are not measured.
    expect(await resolveMicroBatch({ setting: 3, batchSize: 8, step, numClasses: 2 })).toMatchObject({ microBatch: 3, line: null });
    expect(await resolveMicroBatch({ setting: 16, batchSize: 8, step, numClasses: 2 })).toMatchObject({ microBatch: 8 });
    expect(await resolveMicroBatch({ setting: undefined, batchSize: 8, step, numClasses: 2 })).toMatchObject({ microBatch: 8 });
    const { x, y } = tf.tidy(() => ({
      x: tf.randomNormal([8, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D,
      y: tf.cast(tf.oneHot(tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32'), 2), 'float32') as tf.Tensor2D,
    }));
    try {
      model.setTraining(true);
      const loss = await newStep(model, optimizer, tight.microBatch).run({ x, y }, { seed: 1, key: '0:0' });
      expect(Number.isFinite(loss)).toBe(true);
    } finally {
      tf.dispose([x, y]);
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});

test('a step that does not fit even one image per pass: one line naming the model, size, need and limit', async () => {
  const model = tinyModel();
  const optimizer = adam();
  try {
    const step = newStep(model, optimizer);
    const attempt = resolveMicroBatch({ setting: 'auto', batchSize: 8, memoryLimitMiB: 0.01, step, numClasses: 2 });
    await expect(attempt).rejects.toThrow(UserError);
    await expect(attempt).rejects.toThrow(
      /^test_efficientnet at 32 px does not fit even one image per pass: a training step needs about \d+ MiB, train\.memoryLimitMiB 0\.01 allows 1 MiB \(with a 20% margin\); use a smaller model\.imageSize or a smaller model, or raise train\.memoryLimitMiB$/,
    );
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});

test('bench --micro-batch auto with a too small --memory-limit-mib: exit 2 with that one line', async () => {
  const { code, err } = await cli([
    'bench',
    '--model',
    'test_vit',
    '--image-size',
    '32',
    '--batch-size',
    '2',
    '--steps',
    '1',
    '--warmup',
    '0',
    '--mode',
    'train',
    '--backend',
    'wasm',
    '--micro-batch',
    'auto',
    '--memory-limit-mib',
    '0.01',
  ]);
  expect(code).toBe(2);
  const lines = err
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('backend '));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/test_vit at 32 px does not fit even one image per pass: .*use a smaller model\.imageSize or a smaller model/);
});

test('train with microBatch auto: the choice goes into config.json and the log, and the run trains', async () => {
  const m = await measured();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-micro-')), 'run');
  const config = experimentConfigSchema.parse({
    name: 'micro',
    seed: 7,
    backend: 'wasm',
    data: { source: 'synthetic', task: 'glaucoma', count: 24, renderSize: 32, split: { val: 0.25, test: 0 } },
    model: { name: 'test_efficientnet', imageSize: 32, dropPathRate: 0.1, args: modelArgs },
    train: { epochs: 1, batchSize: 8, microBatch: 'auto', memoryLimitMiB: limitFor(m, 3, 8), optimizer: { lr: 0.01 } },
    eval: { bootstrap: 0 },
  });
  const said: string[] = [];
  const result = await train({ config, outDir: out, callbacks: [{ onMessage: (l) => said.push(l) }] });
  expect(result.epochsRun).toBe(1);
  const written = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { train: { microBatch: unknown } };
  expect(typeof written.train.microBatch).toBe('number');
  expect(written.train.microBatch).toBeLessThan(8);
  expect(said.some((l) => l.startsWith(`train.microBatch auto: ${written.train.microBatch} (batch 8 in`))).toBe(true);
});
