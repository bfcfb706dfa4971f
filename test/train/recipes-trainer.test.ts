import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { ExperimentConfig, experimentConfigSchema } from '../../src/config/schema';
import { train } from '../../src/train/trainer';
import { EpochRecord } from '../../src/train/callbacks';
import { readSafetensors, readSafetensorsMetadata } from '../../src/models/weights/safetensors';
import { CosineSchedule } from '../../src/train/schedulers';
import { trainingCurvesSpec } from '../../src/eval/plots/training-curves';

/** The tiny trainer-test run (40 synthetic 32-px images, a two-stage EfficientNet) with every recipe option on. */
function recipeConfig(train: Record<string, unknown> = {}, data: Record<string, unknown> = {}): ExperimentConfig {
  return experimentConfigSchema.parse({
    name: 'recipes',
    seed: 11,
    backend: 'wasm',
    data: {
      source: 'synthetic',
      task: 'glaucoma',
      count: 40,
      renderSize: 32,
      split: { val: 0.25, test: 0.25 },
      augment: { hflip: 0.5, randAugment: 'rand-m9-mstd0.5-inc1', randomErasing: { prob: 0.5 } },
      sampler: 'balanced',
      mixup: { alpha: 0.4, cutmixAlpha: 1.0, mode: 'elem', labelSmoothing: 0.1 },
      ...data,
    },
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
    train: {
      epochs: 3,
      batchSize: 8,
      optimizer: { lr: 0.01 },
      scheduler: { name: 'cosine', warmupEpochs: 1, minLr: 1e-5 },
      classWeights: 'balanced',
      ema: { decay: 0.9, warmup: true },
      clipGrad: { norm: 1 },
      ...train,
    },
    eval: { bootstrap: 0 },
  });
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-recipes-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const records = (dir: string) =>
  fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { seconds: _s, images_per_s: _i, ...rest } = JSON.parse(l) as EpochRecord;
      return rest as Record<string, unknown>;
    });
const bytes = (file: string) =>
  [...readSafetensors(file)].map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64')]);
const last = (dir: string, f: string) => path.join(dir, 'checkpoints', 'last', f);

describe('train() with every recipe option on', () => {
  const runA = path.join(tmp, 'a');
  let reference: Promise<void> | null = null;
  const referenceRun = () => (reference ??= train({ config: recipeConfig(), outDir: runA }).then(() => undefined));

  test('per-step cosine lr, EMA validation and an EMA best checkpoint are recorded', async () => {
    await referenceRun();
    const rs = records(runA);
    // 3 batches per epoch (20 training images; the balanced sampler keeps the epoch's length).
    const cosine = new CosineSchedule({
      lr: 0.01,
      tInitial: 9,
      minLr: 1e-5,
      warmupT: 3,
      warmupLr: 0,
      warmupPrefix: false,
      cycleLimit: 1,
      cycleMul: 1,
      cycleDecay: 1,
      perStep: true,
    });
    expect(rs.map((r) => [r.lr_first, r.lr_last])).toEqual([0, 1, 2].map((e) => [cosine.at(3 * e), cosine.at(3 * e + 2)]));
    for (const r of rs) {
      expect(typeof r.val_ema_loss).toBe('number');
      expect(typeof r.val_ema_macro_auc).toBe('number');
      expect(r.val_ema_loss).not.toBe(r.val_loss);
    }
    expect(readSafetensorsMetadata(path.join(runA, 'checkpoints', 'best', 'model.safetensors')).weights).toBe('ema');
    expect(readSafetensorsMetadata(last(runA, 'ema.safetensors')).step).toBe('9');
  });

  test('the same config gives the same records and weights, bit for bit', async () => {
    await referenceRun();
    const runB = path.join(tmp, 'b');
    await train({ config: recipeConfig(), outDir: runB });
    expect(records(runB)).toEqual(records(runA));
    expect(bytes(last(runB, 'model.safetensors'))).toEqual(bytes(last(runA, 'model.safetensors')));
    expect(bytes(last(runB, 'ema.safetensors'))).toEqual(bytes(last(runA, 'ema.safetensors')));
  });

  test('a run killed after epoch 1 and resumed equals the uninterrupted run (per-step schedule, EMA, mixup)', async () => {
    await referenceRun();
    const runC = path.join(tmp, 'c');
    const kill = {
      onEpochEnd: (r: EpochRecord) => {
        if (r.epoch === 1) throw new Error('killed');
      },
    };
    await expect(train({ config: recipeConfig(), outDir: runC, callbacks: [kill] })).rejects.toThrow('killed');
    await train({ config: recipeConfig(), outDir: runC, resume: true });
    expect(records(runC)).toEqual(records(runA));
    expect(bytes(last(runC, 'model.safetensors'))).toEqual(bytes(last(runA, 'model.safetensors')));
    expect(bytes(last(runC, 'ema.safetensors'))).toEqual(bytes(last(runA, 'ema.safetensors')));
  });

  test('multi-label focal loss and pos_weight train, and tensors do not leak', async () => {
    const counts: number[] = [];
    const probe = { onBatchEnd: () => counts.push(tf.memory().numTensors) };
    const ml = (t: Record<string, unknown>) => recipeConfig({ epochs: 1, classWeights: null, ...t }, { task: 'multilabel', sampler: null });
    await train({ config: ml({ loss: 'focal', focal: { gamma: 2, alpha: 0.25 } }), outDir: path.join(tmp, 'focal'), callbacks: [probe] });
    expect(new Set(counts.slice(1)).size).toBe(1);
    await train({ config: ml({ posWeight: 'balanced', ema: null, clipGrad: { value: 0.5 } }), outDir: path.join(tmp, 'posw') });
    const [a] = records(path.join(tmp, 'focal'));
    const [b] = records(path.join(tmp, 'posw'));
    expect(Number.isFinite(a.train_loss)).toBe(true);
    expect(a.train_loss).not.toBe(b.train_loss);
  });
});

describe('training curves with a per-step schedule', () => {
  test("the learning-rate panel draws each epoch's first and last step as a line", () => {
    const rs = [1, 2].map((epoch) => ({
      epoch,
      phase: 'finetune',
      lr: 0.01,
      lr_first: 0.01 / epoch,
      lr_last: 0.005 / epoch,
      train_loss: 1,
      val_loss: 1,
      val_macro_auc: 0.5,
    }));
    const spec = JSON.stringify(trainingCurvesSpec(rs));
    expect(spec).toContain('first and last step of each epoch');
    for (const v of [0.01, 0.005, 0.0025]) expect(spec).toContain(`"value":${v}`);
    expect(spec).not.toContain('step-after');
  });
});
