import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveConfig } from '../../src/config/resolve';
import { UserError } from '../../src/util/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-recipes-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A config file with `data` lines added to the synthetic source and `rest` appended. */
function write(name: string, rest: string, data: string[] = []): string {
  const file = path.join(dir, name);
  const lines = ['name: t', 'data:', '  source: synthetic', '  task: glaucoma', ...data.map((l) => `  ${l}`), 'model:', '  name: test_vit'];
  fs.writeFileSync(file, `${lines.join('\n')}\n${rest}`);
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toMatch(/\n/);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('recipe config keys', () => {
  test('baseLr is scaled by batch/256 into lr, which config.json then shows', () => {
    const { config } = resolveConfig(write('base-lr.yaml', 'train:\n  batchSize: 64\n  optimizer: { baseLr: 5.0e-4 }\n'));
    expect(config.train.optimizer.lr).toBe(1.25e-4);
    expect(config.train.optimizer.baseLr).toBe(5e-4);
  });

  test('lr and baseLr together are a one-line error naming the key', () => {
    expect(errorOf(() => resolveConfig(write('both.yaml', 'train:\n  optimizer: { lr: 1.0e-3, baseLr: 5.0e-4 }\n')))).toMatch(
      /train\.optimizer: give lr or baseLr, not both/,
    );
  });

  test('every recipe option parses with its defaults written out', () => {
    const { config } = resolveConfig(
      write(
        'all.yaml',
        [
          'train:',
          '  scheduler: { name: cosine, warmupEpochs: 10, minLr: 1.0e-6 }',
          '  classWeights: balanced',
          '  ema: { decay: 0.9998 }',
          '  clipGrad: { norm: 1.0 }',
          '',
        ].join('\n'),
        [
          'sampler: balanced',
          'mixup: { alpha: 0.8, cutmixAlpha: 1.0 }',
          'augment: { randAugment: rand-m9-mstd0.5-inc1, randomErasing: { prob: 0.25 } }',
        ],
      ),
    );
    expect(config.data.sampler).toBe('balanced');
    expect(config.data.mixup).toMatchObject({ alpha: 0.8, cutmixAlpha: 1, prob: 1, switchProb: 0.5, mode: 'batch', labelSmoothing: 0.1 });
    expect(config.data.augment.randAugment).toEqual({ policy: 'rand-m9-mstd0.5-inc1', interpolation: 'bicubic' });
    expect(config.data.augment.randomErasing).toMatchObject({ prob: 0.25, mode: 'pixel' });
    expect(config.train.scheduler).toMatchObject({ name: 'cosine', warmupEpochs: 10, minLr: 1e-6, update: 'step', cycleLimit: 1 });
    expect(config.train.classWeights).toBe('balanced');
    expect(config.train.ema).toMatchObject({ decay: 0.9998, warmup: false, selectBest: 'ema' });
    expect(config.train.clipGrad).toEqual({ norm: 1 });
  });

  test('a misspelt scheduler key and a bad RandAugment string name the key', () => {
    expect(errorOf(() => resolveConfig(write('typo.yaml', 'train:\n  scheduler: { name: cosine, warmupEpoch: 3 }\n')))).toMatch(
      /warmupEpoch.*did you mean "warmupEpochs"/,
    );
    expect(errorOf(() => resolveConfig(write('ra.yaml', '', ['augment: { randAugment: rand-q9 }'])))).toMatch(
      /data\.augment\.randAugment.*unknown section "q9"/,
    );
  });
});
