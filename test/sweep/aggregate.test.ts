import * as fs from 'fs';
import * as path from 'path';
import { computeMetrics, formatPredictionsCsv, PredictionsTable, scorePredictions } from '../../src/eval';
import { Rng } from '../../src/util/random';
import { writeJsonAtomic } from '../../src/util/fs';
import { loadStudy } from '../../src/sweep/study-schema';
import { expandStudy, writePlan, Plan } from '../../src/sweep/plan';
import { aggregateStudy, aggregateFiles, meanSd } from '../../src/sweep/aggregate';
import { ensembleStudy } from '../../src/sweep/ensemble';
import { runFiles } from '../../src/sweep/run-files';
import { cli } from '../helpers/cli';
import { tinyBase, tmpDir, writeStudy } from './fixtures';

const CLASSES = ['no_dr', 'mild', 'proliferative'];

/** Predictions of a made-up model: seeded probabilities, patients of two eyes each. */
function fakeTable(rng: Rng, images: string[]): PredictionsTable {
  const labels = images.map((_, i) => i % 3);
  const probs = labels.map((y) => {
    const raw = CLASSES.map((_, c) => rng.next() + (c === y ? 0.8 : 0));
    const sum = raw.reduce((a, b) => a + b, 0);
    return raw.map((v) => v / sum);
  });
  return { task: 'multiclass', classes: CLASSES, images, labels, probs, groups: images.map((im) => im.replace(/_(left|right)$/, '')) };
}

const eyes = (prefix: string, patients: number) => Array.from({ length: patients }, (_, p) => [`${prefix}${p}_left`, `${prefix}${p}_right`]).flat();

/**
 * A study directory whose runs are made up (no training): each run has a finished manifest,
 * metrics.json from its test predictions, and out-of-fold predictions on its own fold.
 */
function fakeStudy(): { plan: Plan; tests: Map<string, PredictionsTable>; oof: Map<string, PredictionsTable> } {
  const dir = tmpDir('aggregate');
  const file = writeStudy(dir, { folds: 2, seeds: [1, 2], grid: { 'train.optimizer.lr': [0.01, 0.001] } }, tinyBase());
  const { plan, configs } = expandStudy(loadStudy(file), path.join(dir, 'study'));
  writePlan(plan, configs);
  const rng = Rng.create(5, 'fake-study');
  const tests = new Map<string, PredictionsTable>();
  const oof = new Map<string, PredictionsTable>();
  for (const row of plan.rows) {
    // the test split is shared by a seed's folds; the validation fold is the fold's own patients
    const test = fakeTable(rng, eyes(`t${row.seed}-`, 6));
    const val = fakeTable(rng, eyes(`v${row.seed}-f${row.fold}-`, 5));
    tests.set(row.name, test);
    oof.set(row.name, val);
    fs.mkdirSync(row.runDir, { recursive: true });
    writeJsonAtomic(runFiles.manifest(row.runDir), { finished: '2026-01-01T00:00:00.000Z' });
    fs.writeFileSync(runFiles.predictions(row.runDir), formatPredictionsCsv(test));
    fs.mkdirSync(runFiles.outOfFoldDir(row.runDir), { recursive: true });
    fs.writeFileSync(runFiles.outOfFoldPredictions(row.runDir), formatPredictionsCsv(val));
    const report = computeMetrics({ task: 'multiclass', classes: CLASSES, labels: test.labels!, probs: test.probs });
    writeJsonAtomic(runFiles.metrics(row.runDir), { split: 'test', ...report });
    writeJsonAtomic(path.join(row.runDir, 'config.json'), { name: row.name });
  }
  return { plan, tests, oof };
}

describe('study aggregate', () => {
  const study = fakeStudy();

  it('mean and sample sd by hand', () => {
    expect(meanSd([1, 2, 4])).toEqual({ mean: 7 / 3, sd: Math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2) });
    expect(meanSd([0.5])).toEqual({ mean: 0.5, sd: null });
  });

  it('per combination: mean ± sd of each run metric, and the pooled out-of-fold predictions scored as `score` scores them', () => {
    const a = aggregateStudy(study.plan.dir, { bootstrap: 200 });
    expect(a.combinations.map((c) => c.combination)).toEqual(['lr-0.01', 'lr-0.001']);
    for (const c of a.combinations) {
      const rows = study.plan.rows.filter((r) => r.combination === c.combination);
      expect(c.runs).toEqual(rows.map((r) => r.name));
      // hand-computed over the four runs (2 seeds x 2 folds)
      const aucs = rows.map((r) => {
        const t = study.tests.get(r.name)!;
        const rep = computeMetrics({ task: 'multiclass', classes: CLASSES, labels: t.labels!, probs: t.probs });
        return (rep.headline.macro_auc as { value: number }).value;
      });
      const mean = (aucs[0] + aucs[1] + aucs[2] + aucs[3]) / 4;
      const sd = Math.sqrt(aucs.reduce((s, v) => s + (v - mean) ** 2, 0) / 3);
      const m = c.metrics.find((x) => x.key === 'macro_auc')!;
      expect(m.n).toBe(4);
      expect(m.mean).toBeCloseTo(mean, 14);
      expect(m.sd).toBeCloseTo(sd, 14);
      // the pool: each fold's validation predictions, in plan order, scored by `score`
      expect(c.pooledFrom).toBe('out-of-fold');
      const pooled = rows.map((r) => study.oof.get(r.name)!);
      const concat: PredictionsTable = {
        task: 'multiclass',
        classes: CLASSES,
        images: pooled.flatMap((t) => t.images),
        labels: pooled.flatMap((t) => t.labels!),
        probs: pooled.flatMap((t) => t.probs),
        groups: pooled.flatMap((t) => t.groups!),
      };
      const csv = path.join(tmpDir('pool'), 'pooled.csv');
      fs.writeFileSync(csv, formatPredictionsCsv(concat));
      const scored = scorePredictions(csv, { bootstrap: 200 }).report;
      expect(c.pooled.n).toBe(40);
      expect(c.pooled.headline).toEqual(scored.headline);
      expect(c.pooled.ci!.intervals).toEqual(scored.ci!.intervals);
      expect(c.pooled.ci!.unit).toBe('group');
      expect(c.pooled.ci!.units).toBe(20);
    }
  });

  it('`report STUDY_DIR` writes text, CSV, LaTeX, the plot and pooled predictions that `score` reproduces', async () => {
    const { code, out } = await cli(['report', study.plan.dir]);
    expect(code).toBe(0);
    expect(out).toContain('lr-0.01');
    expect(out).toContain('test: mean ± sd (4 runs)');
    expect(out).toContain('out-of-fold, pooled (40 cases)');
    const files = aggregateFiles(study.plan.dir);
    for (const f of [files.text, files.csv, files.latex, files.plot]) expect(fs.statSync(f).size).toBeGreaterThan(100);
    expect(fs.readFileSync(files.plot).subarray(1, 4).toString()).toBe('PNG');
    const csv = fs.readFileSync(files.csv, 'utf8').split('\n');
    expect(csv[0]).toBe('combination,train.optimizer.lr,metric,runs,mean,sd,pooled,pooled_lo,pooled_hi,pooled_from,pooled_cases');
    const a = aggregateStudy(study.plan.dir);
    const auc = a.combinations[1].metrics.find((m) => m.key === 'macro_auc')!;
    const pooledAuc = (a.combinations[1].pooled.headline.macro_auc as { value: number }).value;
    const line = csv.find((l) => l.startsWith('lr-0.001,0.001,macro_auc,'))!;
    expect(line.startsWith(['lr-0.001', '0.001', 'macro_auc', '4', String(auc.mean), String(auc.sd), String(pooledAuc)].join(','))).toBe(true);
    expect(line.endsWith(',out-of-fold,40')).toBe(true);
    expect(fs.readFileSync(files.latex, 'utf8')).toContain('lr-0.01 & test mean $\\pm$ sd (4)');
    const rescored = scorePredictions(files.pooled('lr-0.01'), { bootstrap: 0 }).report;
    expect(rescored.headline).toEqual(
      computeMetrics({ ...a.combinations[0].pooledTable, task: 'multiclass', labels: a.combinations[0].pooledTable.labels! }).headline,
    );
  });

  it('a run that is not complete is left out and named', () => {
    const row = study.plan.rows[0];
    const manifest = runFiles.manifest(row.runDir);
    const saved = fs.readFileSync(manifest, 'utf8');
    fs.writeFileSync(manifest, JSON.stringify({ finished: null }));
    try {
      const a = aggregateStudy(study.plan.dir, { bootstrap: 0 });
      expect(a.combinations[0].runs).toHaveLength(3);
      expect(a.combinations[0].missing).toEqual([row.name]);
    } finally {
      fs.writeFileSync(manifest, saved);
    }
  });

  it("--ensemble: the mean of a seed's fold models on the test split, scored like a run", async () => {
    const results = await ensembleStudy(study.plan.dir, { bootstrap: 0 });
    expect(results.map((r) => r.name)).toEqual(['lr-0.01_seed-1', 'lr-0.01_seed-2', 'lr-0.001_seed-1', 'lr-0.001_seed-2']);
    const [first] = results;
    const members = first.members.map((m) => study.tests.get(m)!);
    expect(members).toHaveLength(2);
    const mean = members[0].probs.map((row, i) => row.map((p, c) => (p + members[1].probs[i][c]) / 2));
    const expected = computeMetrics({ task: 'multiclass', classes: CLASSES, labels: members[0].labels!, probs: mean });
    expect(first.report.headline).toEqual(expected.headline);
    const written = scorePredictions(path.join(first.outDir, 'predictions.csv')).report;
    expect(written.headline).toEqual(expected.headline);
    expect(fs.existsSync(path.join(first.outDir, 'metrics.json'))).toBe(true);
  });
});
