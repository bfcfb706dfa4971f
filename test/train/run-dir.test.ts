import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { experimentConfigSchema } from '../../src/config/schema';
import {
  appendEpochRecord,
  checkpointDir,
  isRunDir,
  readEpochRecords,
  readMetricsJson,
  readRunConfig,
  readTunedThresholds,
  resetEpochRecords,
  runCheckpointDir,
  runPaths,
  writeRunConfig,
} from '../../src/train/run-dir';
import { EpochRecord } from '../../src/train/callbacks';
import { UserError } from '../../src/util/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-run-dir-'));
let n = 0;
const freshDir = () => {
  const dir = path.join(tmp, `run${n++}`);
  fs.mkdirSync(dir);
  return dir;
};
const record = (epoch: number): EpochRecord => ({
  epoch,
  phase: 'finetune',
  lr: 0.1,
  train_loss: 1 / epoch,
  val_loss: 2 / epoch,
  seconds: 1,
  images_per_s: 2,
});

/** The one-line UserError a call throws. */
function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a UserError');
}

describe('run directory layout', () => {
  test('paths of every run file, as the README lists them', () => {
    const p = runPaths('/runs/a');
    expect(p).toEqual({
      dir: '/runs/a',
      config: '/runs/a/config.json',
      manifest: '/runs/a/manifest.json',
      splits: '/runs/a/splits.csv',
      epochRecords: '/runs/a/metrics.jsonl',
      metrics: '/runs/a/metrics.json',
      predictions: '/runs/a/predictions.csv',
      report: '/runs/a/report',
      checkpoints: '/runs/a/checkpoints',
      best: '/runs/a/checkpoints/best',
      last: '/runs/a/checkpoints/last',
    });
    expect(checkpointDir('/runs/a', 'last')).toBe(p.last);
  });

  test('the checkpoint used: the one asked for, else best, else last; none is a one-line error', () => {
    const run = freshDir();
    expect(userError(() => runCheckpointDir(run))).toBe(
      `${run} has no checkpoints/last: train it first, or pass a run directory that holds checkpoints`,
    );
    fs.mkdirSync(checkpointDir(run, 'last'), { recursive: true });
    expect(runCheckpointDir(run)).toBe(path.join(run, 'checkpoints', 'last'));
    expect(userError(() => runCheckpointDir(run, 'best'))).toMatch(/has no checkpoints\/best: train it first/);
    fs.mkdirSync(checkpointDir(run, 'best'));
    expect(runCheckpointDir(run)).toBe(path.join(run, 'checkpoints', 'best'));
    expect(runCheckpointDir(run, 'last')).toBe(path.join(run, 'checkpoints', 'last'));
  });
});

describe('run file readers', () => {
  test('config.json round-trips; missing, not JSON or invalid is a one-line error naming the file', () => {
    const run = freshDir();
    expect(isRunDir(run)).toBe(false);
    expect(userError(() => readRunConfig(run))).toBe(`${run} is not a run directory: no config.json`);
    const config = experimentConfigSchema.parse({ name: 'x', data: { source: 'synthetic', task: 'glaucoma' }, model: { name: 'test_efficientnet' } });
    writeRunConfig(run, config);
    expect(isRunDir(run)).toBe(true);
    expect(readRunConfig(run)).toEqual(config);
    fs.writeFileSync(runPaths(run).config, '{"name": ');
    expect(userError(() => readRunConfig(run))).toMatch(new RegExp(`^${runPaths(run).config} is not JSON \\(`));
    fs.writeFileSync(runPaths(run).config, JSON.stringify({ ...config, trian: {} }));
    expect(userError(() => readRunConfig(run))).toMatch(/trian/);
  });

  test('metrics.json and its tuned thresholds; missing or garbled is a one-line error', () => {
    const run = freshDir();
    expect(readTunedThresholds(run)).toBeUndefined();
    expect(userError(() => readMetricsJson(run))).toMatch(new RegExp(`^${run} has no metrics.json`));
    fs.writeFileSync(runPaths(run).metrics, JSON.stringify({ split: 'test', settings: { thresholds: [0.3, 0.7] } }));
    expect(readMetricsJson(run).split).toBe('test');
    expect(readTunedThresholds(run)).toEqual([0.3, 0.7]);
    fs.writeFileSync(runPaths(run).metrics, 'nan');
    expect(userError(() => readTunedThresholds(run))).toMatch(/metrics\.json is not JSON/);
    fs.writeFileSync(runPaths(run).metrics, '[1, 2]');
    expect(userError(() => readMetricsJson(run))).toMatch(/metrics\.json is not an object of metrics/);
  });

  test('metrics.jsonl: appended records read back; resuming keeps only the epochs of the checkpoint', () => {
    const run = freshDir();
    expect(userError(() => readEpochRecords(run))).toMatch(/metrics\.jsonl does not exist/);
    resetEpochRecords(run);
    expect(readEpochRecords(run)).toEqual([]);
    [1, 2, 3].forEach((e) => appendEpochRecord(run, record(e)));
    expect(readEpochRecords(run)).toEqual([record(1), record(2), record(3)]);
    resetEpochRecords(run, 2);
    expect(readEpochRecords(run)).toEqual([record(1), record(2)]);
    resetEpochRecords(run);
    expect(fs.readFileSync(runPaths(run).epochRecords, 'utf8')).toBe('');
    fs.writeFileSync(runPaths(run).epochRecords, JSON.stringify(record(1)) + '\n{oops\n');
    expect(userError(() => readEpochRecords(run))).toMatch(/metrics\.jsonl line 2 is not JSON/);
  });
});
