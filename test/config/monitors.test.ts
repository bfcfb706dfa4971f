import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkMonitorsForTask, resolveMode } from '../../src/config/monitors';
import { resolveConfig } from '../../src/config/resolve';
import { experimentConfigSchema } from '../../src/config/schema';
import { monitorValue } from '../../src/eval/monitors';
import { UserError } from '../../src/util/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-monitors-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function parse(train: Record<string, unknown>, evalSection: Record<string, unknown> = {}) {
  return experimentConfigSchema.parse({ data: { source: 'synthetic', task: 'dr' }, model: { name: 'test_vit' }, train, eval: evalSection });
}

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toMatch(/\n/);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('mode: auto', () => {
  test('resolves from the metric registry: min for losses and calibration errors, max for the rest', () => {
    expect(resolveMode('auto', 'val_loss')).toBe('min');
    expect(resolveMode('auto', 'train_loss')).toBe('min');
    expect(resolveMode('auto', 'val_ece')).toBe('min');
    expect(resolveMode('auto', 'val_hamming_loss')).toBe('min');
    expect(resolveMode('auto', 'val_macro_auc')).toBe('max');
    expect(resolveMode('auto', 'val_kappa_quadratic')).toBe('max');
    expect(resolveMode('auto', 'composite')).toBe('max');
    // An explicit mode is kept even against the direction: the user may know better.
    expect(resolveMode('max', 'val_loss')).toBe('max');
  });

  test('the validated config carries concrete modes for checkpoints, the plateau scheduler and early stopping', () => {
    const c = parse({
      checkpointMonitor: 'val_loss',
      scheduler: { name: 'plateau', monitor: 'val_loss' },
      earlyStopping: { monitor: 'val_macro_f1', patience: 3 },
    });
    expect(c.train.checkpointMode).toBe('min');
    expect(c.train.scheduler).toMatchObject({ name: 'plateau', monitor: 'val_loss', mode: 'min' });
    expect(c.train.earlyStopping).toMatchObject({ monitor: 'val_macro_f1', mode: 'max' });
    const d = parse({});
    expect(d.train.checkpointMode).toBe('max');
    expect(d.train.scheduler).toMatchObject({ monitor: 'val_macro_auc', mode: 'max' });
    expect(parse({ checkpointMonitor: 'val_loss', checkpointMode: 'max' }).train.checkpointMode).toBe('max');
  });

  test('the resolved config (what config.json shows) names min for val_loss, and a resumed config resolves the same', () => {
    const file = path.join(dir, 'loss.yaml');
    fs.writeFileSync(file, 'data: { source: synthetic, task: glaucoma }\nmodel: { name: test_vit }\n');
    const { config } = resolveConfig(file, ['train.checkpointMonitor=val_loss']);
    expect(config.train.checkpointMode).toBe('min');
    const again = experimentConfigSchema.parse(JSON.parse(JSON.stringify(config)));
    expect(again.train).toEqual(config.train);
  });

  test('the demo with --set train.checkpointMonitor=val_loss keeps the epoch with the lowest val_loss', () => {
    // The validation losses of the four epochs reported in the issue; the old default (max) kept epoch 2.
    const losses = [0.69, 0.787, 0.757, 0.518];
    const c = parse({ checkpointMonitor: 'val_loss' });
    let best: { epoch: number; value: number } | null = null;
    losses.forEach((val_loss, i) => {
      const v = monitorValue({ epoch: i + 1, val_loss }, c.train.checkpointMonitor, c)!;
      const better = best === null || (c.train.checkpointMode === 'min' ? v < best.value : v > best.value);
      if (better) best = { epoch: i + 1, value: v };
    });
    expect(best).toEqual({ epoch: 4, value: 0.518 });
  });

  test('an unknown monitor is a one-line error with the likely intent', () => {
    const file = path.join(dir, 'typo.yaml');
    fs.writeFileSync(file, 'data: { source: synthetic, task: glaucoma }\nmodel: { name: test_vit }\ntrain: { checkpointMonitor: val_macro_aucc }\n');
    expect(errorOf(() => resolveConfig(file)).message).toMatch(
      /train\.checkpointMonitor: "val_macro_aucc" is not one of .*\(did you mean "val_macro_auc"\?\)/,
    );
  });
});

describe('checkMonitorsForTask', () => {
  test('a monitor the task cannot produce names the key, the task and the monitors it offers', () => {
    const msg = errorOf(() => checkMonitorsForTask(parse({ checkpointMonitor: 'val_accuracy' }), 'multilabel')).message;
    expect(msg).toMatch(
      /^train\.checkpointMonitor: a multilabel task does not report val_accuracy; monitors for multilabel: val_loss, train_loss, val_macro_auc, /,
    );
    expect(msg).toMatch(/val_subset_accuracy/);
    expect(msg).not.toMatch(/val_accuracy,/);
    expect(
      errorOf(() => checkMonitorsForTask(parse({ earlyStopping: { monitor: 'val_kappa_quadratic', patience: 2 } }), 'multilabel')).message,
    ).toMatch(/^train\.earlyStopping\.monitor: a multilabel task does not report val_kappa_quadratic/);
    expect(errorOf(() => checkMonitorsForTask(parse({ scheduler: { name: 'plateau', monitor: 'val_micro_auc' } }), 'binary')).message).toMatch(
      /^train\.scheduler\.monitor: a binary task does not report val_micro_auc/,
    );
  });

  test('the referable AUC needs eval.referableFrom', () => {
    const train = { checkpointMonitor: 'val_referable_auc' };
    expect(errorOf(() => checkMonitorsForTask(parse(train), 'multiclass')).message).toMatch(
      /^train\.checkpointMonitor: val_referable_auc needs eval\.referableFrom/,
    );
    expect(() => checkMonitorsForTask(parse(train, { referableFrom: 2 }), 'multiclass')).not.toThrow();
  });

  test('what the task reports passes, composite included', () => {
    expect(() => checkMonitorsForTask(parse({}), 'binary')).not.toThrow();
    expect(() => checkMonitorsForTask(parse({ checkpointMonitor: 'val_loss' }), 'multilabel')).not.toThrow();
    expect(() => checkMonitorsForTask(parse({ checkpointMonitor: 'val_kappa_quadratic' }), 'multiclass')).not.toThrow();
    expect(() => checkMonitorsForTask(parse({ checkpointMonitor: 'composite' }), 'multilabel')).not.toThrow();
  });

  test("a composite's own metrics are checked against the task", () => {
    const train = { checkpointMonitor: 'composite', compositeMonitor: { metrics: ['val_macro_auc', 'val_kappa_quadratic'] } };
    expect(errorOf(() => checkMonitorsForTask(parse(train), 'multilabel')).message).toMatch(
      /^train\.compositeMonitor\.metrics\[1\]: a multilabel task does not report val_kappa_quadratic/,
    );
    expect(() => checkMonitorsForTask(parse(train), 'multiclass')).not.toThrow();
  });
});

describe('train.compositeMonitor', () => {
  test('defaults to RETFound (metrics and weights null) and a composite monitor is maximised', () => {
    const c = parse({ checkpointMonitor: 'composite' });
    expect(c.train.compositeMonitor).toEqual({ metrics: null, weights: null });
    expect(c.train.checkpointMode).toBe('max');
  });

  test('only higher-is-better validation metrics, and one weight per metric', () => {
    expect(() => parse({ compositeMonitor: { metrics: ['val_loss'] } })).toThrow(/metrics/);
    expect(() => parse({ compositeMonitor: { metrics: ['val_ece'] } })).toThrow(/metrics/);
    expect(() => parse({ compositeMonitor: { metrics: ['val_macro_auc', 'val_macro_f1'], weights: [1] } })).toThrow(/one weight per metric/);
    expect(() => parse({ compositeMonitor: { weights: [1, 1, 1] } })).toThrow(/weights needs metrics/);
    expect(() => parse({ compositeMonitor: { metrics: ['val_macro_auc'], weights: [0] } })).toThrow();
    expect(parse({ compositeMonitor: { metrics: ['val_macro_auc', 'val_macro_f1'], weights: [2, 1] } }).train.compositeMonitor.weights).toEqual([
      2, 1,
    ]);
  });
});
