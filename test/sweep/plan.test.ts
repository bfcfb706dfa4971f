import * as fs from 'fs';
import * as path from 'path';
import { cli } from '../helpers/cli';
import { loadStudy } from '../../src/sweep/study-schema';
import { expandStudy, planCsv, readPlan } from '../../src/sweep/plan';
import { tinyBase, tmpDir, writeStudy } from './fixtures';

describe('study plan expansion', () => {
  it('crosses grid, list, seeds and folds into stable, readable names', () => {
    const dir = tmpDir('plan');
    const file = writeStudy(dir, {
      folds: 3,
      seeds: [1, 2],
      grid: { 'train.optimizer.lr': [0.01, 0.001], 'model.name': ['test_efficientnet'] },
      list: [{ 'train.batchSize': 4 }, { 'train.batchSize': 8, 'train.labelSmoothing': 0.1 }],
    });
    const { plan, configs } = expandStudy(loadStudy(file), path.join(dir, 'out'));
    // 2 lr x 1 model x 2 list entries x 2 seeds x 3 folds
    expect(plan.rows).toHaveLength(24);
    expect(plan.rows.map((r) => r.index)).toEqual([...Array(24).keys()]);
    expect(plan.rows[0].name).toBe('lr-0.01_model-test_efficientnet_batchSize-4_seed-1_fold-0');
    expect(plan.rows[23].name).toBe('lr-0.001_model-test_efficientnet_batchSize-8_labelSmoothing-0.1_seed-2_fold-2');
    expect(new Set(plan.rows.map((r) => r.name)).size).toBe(24);
    expect(new Set(plan.rows.map((r) => r.combination)).size).toBe(4);
    expect(plan.axisKeys).toEqual(['train.optimizer.lr', 'model.name', 'train.batchSize', 'train.labelSmoothing']);
    // each expanded config carries its combination, seed and fold
    const last = configs.get(plan.rows[23].config) as {
      seed: number;
      name: string;
      train: { optimizer: { lr: number }; labelSmoothing: number };
      data: { split: { folds: number; fold: number } };
    };
    expect(last.seed).toBe(2);
    expect(last.name).toBe(plan.rows[23].name);
    expect(last.train.optimizer.lr).toBe(0.001);
    expect(last.train.labelSmoothing).toBe(0.1);
    expect(last.data.split).toMatchObject({ folds: 3, fold: 2 });
    // the same study expands to the same plan
    expect(expandStudy(loadStudy(file), path.join(dir, 'out')).plan).toEqual(plan);
    expect(planCsv(plan).split('\n')[0]).toBe(
      'index,name,combination,train.optimizer.lr,model.name,train.batchSize,train.labelSmoothing,seed,fold,run_dir',
    );
  });

  it('without axes a study is one run named base', () => {
    const dir = tmpDir('plan-base');
    const { plan } = expandStudy(loadStudy(writeStudy(dir, {})), path.join(dir, 'out'));
    expect(plan.rows.map((r) => r.name)).toEqual(['base']);
  });

  it('longer key names where the last segments collide', () => {
    const dir = tmpDir('plan-keys');
    const file = writeStudy(dir, { grid: { 'train.optimizer.name': ['adam'], 'model.name': ['test_efficientnet'] } });
    const { plan } = expandStudy(loadStudy(file), path.join(dir, 'out'));
    expect(plan.rows[0].name).toBe('optimizer-adam_model-test_efficientnet');
  });

  it('a bad combination is one line naming it, exit 2, and nothing is written', async () => {
    const dir = tmpDir('plan-bad');
    const file = writeStudy(dir, { seeds: [1], grid: { 'train.optimizer.lr': [0.01, -1] } });
    const out = path.join(dir, 'out');
    const { code, err } = await cli(['sweep', '--config', file, '--out', out]);
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toContain('run "lr--1_seed-1" (train.optimizer.lr=-1) is invalid');
    expect(err).toContain('train.optimizer.lr');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a typo in the study file names the key and suggests the right one', async () => {
    const dir = tmpDir('plan-typo');
    const file = writeStudy(dir, { fold: 5 });
    const { code, err } = await cli(['sweep', '--config', file, '--out', path.join(dir, 'out')]);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown key "fold" \(did you mean "folds"\?\)/);
  });

  it('an unknown config key in the grid is an error naming the run', async () => {
    const dir = tmpDir('plan-key');
    const file = writeStudy(dir, { grid: { 'train.epoch': [1] } });
    const { code, err } = await cli(['sweep', '--config', file, '--out', path.join(dir, 'out')]);
    expect(code).toBe(2);
    expect(err).toContain('run "epoch-1"');
    expect(err).toContain('unknown key "train.epoch" (did you mean "epochs"?)');
  });

  it('--dry-run writes the plan and starts nothing', async () => {
    const dir = tmpDir('plan-dry');
    const file = writeStudy(dir, { folds: 2, seeds: [3] }, tinyBase());
    const out = path.join(dir, 'out');
    const { code, out: printed } = await cli(['sweep', '--config', file, '--out', out, '--dry-run']);
    expect(code).toBe(0);
    expect(printed).toContain('2 runs planned');
    expect(readPlan(out).rows.map((r) => r.name)).toEqual(['base_seed-3_fold-0', 'base_seed-3_fold-1']);
    expect(fs.readFileSync(path.join(out, 'plan.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(fs.existsSync(path.join(out, 'runs'))).toBe(false);
    const k8s = await cli(['sweep', '--out', out, '--config', file, '--executor', 'k8s', '--dry-run']);
    expect(k8s.out).toContain('completionMode: Indexed');
    expect(k8s.out).toContain('completions: 2');
    expect(k8s.out).toContain('$JOB_COMPLETION_INDEX');
  });
});
