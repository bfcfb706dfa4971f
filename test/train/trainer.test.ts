import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { ExperimentConfig, experimentConfigSchema } from '../../src/config/schema';
import { train, TrainResult } from '../../src/train/trainer';
import { EpochRecord, TrainerCallback } from '../../src/train/callbacks';
import { readSafetensors } from '../../src/models/weights/safetensors';
import { UserError } from '../../src/util/errors';

/** A run small enough for a test: 40 synthetic 32-px images, a two-stage EfficientNet. */
function tinyConfig(overrides: Record<string, unknown> = {}): ExperimentConfig {
  return experimentConfigSchema.parse({
    name: 'tiny',
    seed: 7,
    backend: 'wasm',
    data: { source: 'synthetic', task: 'glaucoma', count: 40, renderSize: 32, split: { val: 0.25, test: 0.25 }, augment: { hflip: 0.5, rotate: 10 } },
    model: {
      name: 'test_efficientnet',
      imageSize: 32,
      dropPathRate: 0.1,
      args: {
        headChannels: 64,
        stages: [
          { block: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 8, seRatio: 0.25 },
          { block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 2, channels: 16, seRatio: 0.25 },
        ],
      },
    },
    train: { epochs: 3, batchSize: 8, optimizer: { lr: 0.01 }, scheduler: { name: 'plateau', patience: 0, factor: 0.5 } },
    eval: { bootstrap: 20 },
    ...overrides,
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-trainer-'));
const reproducible = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { seconds: _s, images_per_s: _i, ...rest } = JSON.parse(l) as EpochRecord;
      return rest;
    });
const weights = (dir: string) => {
  const dict = readSafetensors(path.join(dir, 'checkpoints', 'last', 'model.safetensors'));
  return [...dict].map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')]);
};

describe('train()', () => {
  const runA = path.join(tmp, 'a');
  // The reference run, trained by whichever test needs it first, so that every test also passes alone.
  let reference: Promise<{ result: TrainResult; records: EpochRecord[] }> | null = null;
  const referenceRun = () =>
    (reference ??= (async () => {
      const records: EpochRecord[] = [];
      const result = await train({ config: tinyConfig(), outDir: runA, callbacks: [{ onEpochEnd: (r) => records.push(r) }] });
      return { result, records };
    })());

  test('writes the run directory the contract describes', async () => {
    const { result, records } = await referenceRun();
    expect(result.backend.name).toBe('wasm');
    expect(records.map((r) => r.epoch)).toEqual([1, 2, 3]);
    for (const f of [
      'config.json',
      'manifest.json',
      'splits.csv',
      'metrics.jsonl',
      'metrics.json',
      'predictions.csv',
      'report/report.txt',
      'report/table.tex',
    ]) {
      expect(fs.existsSync(path.join(runA, f))).toBe(true);
    }
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer.json']) {
      expect(fs.existsSync(path.join(runA, 'checkpoints', 'last', f))).toBe(true);
    }
    expect(fs.existsSync(path.join(runA, 'checkpoints', 'best', 'model.safetensors'))).toBe(true);
    const lines = reproducible(path.join(runA, 'metrics.jsonl'));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3]);
    for (const l of lines) {
      expect(typeof l.train_loss).toBe('number');
      expect(typeof l.val_macro_auc).toBe('number');
      expect(l.lr).toBeGreaterThan(0);
    }
    const splits = fs.readFileSync(path.join(runA, 'splits.csv'), 'utf8').trim().split('\n');
    expect(splits[0]).toBe('image,label,split');
    expect(splits).toHaveLength(41);
    const manifest = JSON.parse(fs.readFileSync(path.join(runA, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ backend: 'wasm', seed: 7, loss: 'cross-entropy', splits: { train: 20, val: 10, test: 10 } });
    expect(manifest.wasm).toEqual({ fma: process.env.FUNDUS_WASM_FMA !== '0' });
    expect(manifest.finished).not.toBeNull();
    const metrics = JSON.parse(fs.readFileSync(path.join(runA, 'metrics.json'), 'utf8'));
    expect(metrics.split).toBe('test');
    expect(metrics.headline.macro_auc).toBeDefined();
    expect(metrics.ci.resamples).toBe(20);
  });

  test('the same config and seed give identical metrics.jsonl and checkpoint weights', async () => {
    await referenceRun();
    const runB = path.join(tmp, 'b');
    await train({ config: tinyConfig(), outDir: runB });
    expect(reproducible(path.join(runB, 'metrics.jsonl'))).toEqual(reproducible(path.join(runA, 'metrics.jsonl')));
    expect(weights(runB)).toEqual(weights(runA));
    expect(fs.readFileSync(path.join(runB, 'predictions.csv'), 'utf8')).toBe(fs.readFileSync(path.join(runA, 'predictions.csv'), 'utf8'));
  });

  test('a run stopped after epoch 1 and resumed equals the uninterrupted run', async () => {
    await referenceRun();
    const runC = path.join(tmp, 'c');
    await train({ config: tinyConfig({ train: { ...tinyConfig().train, epochs: 1 } }), outDir: runC });
    await train({ config: tinyConfig(), outDir: runC, resume: true });
    expect(reproducible(path.join(runC, 'metrics.jsonl'))).toEqual(reproducible(path.join(runA, 'metrics.jsonl')));
    expect(weights(runC)).toEqual(weights(runA));
    const manifest = JSON.parse(fs.readFileSync(path.join(runC, 'manifest.json'), 'utf8'));
    expect(manifest.resumes).toHaveLength(1);
    expect(manifest.resumes[0].fromEpoch).toBe(1);
  });

  test('another seed gives another run', async () => {
    const { records } = await referenceRun();
    const runD = path.join(tmp, 'd');
    await train({ config: tinyConfig({ seed: 8, train: { ...tinyConfig().train, epochs: 1 } }), outDir: runD });
    expect(reproducible(path.join(runD, 'metrics.jsonl'))[0].train_loss).not.toBe(records[0].train_loss);
  });

  test('tensor count stays flat across steps and epochs', async () => {
    const counts: { epoch: number; batch: number; n: number }[] = [];
    const probe: TrainerCallback = {
      onBatchEnd: (epoch, batch) => counts.push({ epoch, batch, n: tf.memory().numTensors }),
      onEpochEnd: (r) => counts.push({ epoch: r.epoch - 1, batch: -1, n: tf.memory().numTensors }),
    };
    await train({
      config: tinyConfig({ train: { ...tinyConfig().train, strategy: 'lp-ft', lpEpochs: 1, epochs: 3 } }),
      outDir: path.join(tmp, 'leak'),
      callbacks: [probe],
    });
    // After the first step of each phase (optimizer moments are created once per phase) nothing accumulates.
    const steady = counts.filter((c) => c.epoch === 2 && c.batch > 0).map((c) => c.n);
    expect(new Set(steady).size).toBe(1);
    const epochEnds = counts.filter((c) => c.batch === -1).map((c) => c.n);
    expect(epochEnds[2]).toBe(epochEnds[1]);
  });

  test('refuses to overwrite a run, and to resume a different experiment', async () => {
    await referenceRun();
    await expect(train({ config: tinyConfig(), outDir: runA })).rejects.toThrow(/already holds a run; add --resume/);
    await expect(train({ config: tinyConfig({ seed: 99 }), outDir: runA, resume: true })).rejects.toThrow(UserError);
    await expect(train({ config: tinyConfig(), outDir: path.join(tmp, 'none'), resume: true })).rejects.toThrow(/nothing to resume/);
  });
});
