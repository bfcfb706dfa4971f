import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bootstrapMetrics, computeMetrics, MetricsReport, MetricsInput } from '../../../src/eval/compute-metrics';
import { compareRuns, readRunMetrics } from '../../../src/eval/report/runs';
import { UserError } from '../../../src/util/errors';

const classes = ['non_glaucoma', 'glaucoma'];
const labels = [0, 0, 0, 1, 1, 0, 1, 0, 0, 1];

function binaryInput(p: number[]): MetricsInput {
  return { task: 'binary', classes, labels, probs: p.map((x) => [1 - x, x]) };
}

const good = binaryInput([0.1, 0.3, 0.6, 0.8, 0.4, 0.2, 0.9, 0.35, 0.15, 0.7]);
const better = binaryInput([0.1, 0.2, 0.3, 0.8, 0.7, 0.2, 0.9, 0.35, 0.15, 0.75]);
const goodReport: MetricsReport = { ...computeMetrics(good), ci: bootstrapMetrics(good, { resamples: 40, seed: 1 }) };
const betterReport: MetricsReport = computeMetrics(better);

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-runs-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A run directory as training leaves it: config.json and metrics.json (report plus split and checkpoint). */
function fakeRun(dirName: string, name: string | null, report: MetricsReport, split = 'test'): string {
  const dir = path.join(root, dirName);
  fs.mkdirSync(dir, { recursive: true });
  if (name !== null) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ name, seed: 0 }));
  fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ split, checkpoint: { epoch: '3' }, loss: 0.4, ...report }));
  return dir;
}

test('two runs: one LaTeX row and one text row each, named from config.json', () => {
  const a = fakeRun('run-a', 'vit_b16 LP-FT', goodReport);
  const b = fakeRun('run-b', 'effnet_b0', betterReport);
  const { latex, text } = compareRuns([a, b]);

  const rows = latex.split('\n').filter((l) => l.endsWith('\\\\'));
  expect(rows[0]).toBe('Run & AUC & Sensitivity at specificity 0.85 & Accuracy & Sensitivity & Specificity & Weighted F1 \\\\');
  const auc = goodReport.headline.auc.value!.toFixed(3);
  const iv = goodReport.ci!.intervals.auc as { lo: number; hi: number };
  expect(rows[1]).toMatch(new RegExp(`^vit\\\\_b16 LP-FT & ${auc} \\[${iv.lo.toFixed(3)}, ${iv.hi.toFixed(3)}\\] & `));
  expect(rows[2]).toMatch(new RegExp(`^effnet\\\\_b0 & ${betterReport.headline.auc.value!.toFixed(3)} & `));
  expect(latex).toContain('Comparison of 2 runs.');

  const lines = text.split('\n');
  expect(lines[0]).toBe('2 runs, binary, classes: non_glaucoma, glaucoma');
  expect(lines[2]).toMatch(/^Run\s+Split\s+Cases\s+AUC\s+Sensitivity at specificity 0\.85\s+Accuracy/);
  expect(lines[3]).toMatch(new RegExp(`^vit_b16 LP-FT\\s+test\\s+10\\s+${auc} \\[${iv.lo.toFixed(3)}, ${iv.hi.toFixed(3)}\\]\\s`));
  expect(lines[4]).toMatch(new RegExp(`^effnet_b0\\s+test\\s+10\\s+${betterReport.headline.auc.value!.toFixed(3)}\\s`));
  expect(text).toContain('95% percentile bootstrap intervals');
  expect(text).toContain(`  effnet_b0: ${b}`);
});

test('chosen metrics, in the order asked; a metric no run has is a UserError listing the available ones', () => {
  const a = fakeRun('a', 'one', goodReport);
  const b = fakeRun('b', 'two', betterReport);
  const { latex, text } = compareRuns([a, b], { metrics: ['brier', 'auc'] });
  expect(latex).toContain('Run & Brier score ($\\downarrow$) & AUC \\\\');
  expect(text).toMatch(/Brier score \(lower is better\)\s+AUC/);
  expect(() => compareRuns([a, b], { metrics: ['auc', 'dice'] })).toThrow(/unknown metric "dice" for these runs; available: macro_auc, auc/);
});

test('undefined values show as n/a with the reason; eval outputs inside a run take the run name and split', () => {
  const noPositive = computeMetrics({
    task: 'binary',
    classes,
    labels: [0, 0, 0],
    probs: [
      [0.8, 0.2],
      [0.4, 0.6],
      [0.7, 0.3],
    ],
  });
  const run = fakeRun('run', 'refuge-vit', goodReport);
  const external = fakeRun(path.join('run', 'eval-drishti'), null, noPositive, 'drishti');
  const { text } = compareRuns([run, external]);
  expect(text).toMatch(/^refuge-vit \(drishti\)\s+drishti\s+3\s+n\/a\s/m);
  expect(text).toContain('refuge-vit (drishti), AUC: n/a, positive class "glaucoma" has no positive case');
});

test('runs with the same name get their directory added', () => {
  const a = fakeRun('seed-1', 'demo', goodReport);
  const b = fakeRun('seed-2', 'demo', betterReport);
  const { text } = compareRuns([a, b]);
  expect(text).toContain(`demo [${a}]`);
  expect(text).toContain(`demo [${b}]`);
});

describe('errors name the run directory', () => {
  test('missing directory, missing metrics.json, garbled metrics.json, not a report', () => {
    const ok = fakeRun('ok', 'ok', goodReport);
    expect(() => compareRuns([ok, path.join(root, 'nope')])).toThrow(/^run directory .*nope does not exist$/);
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    expect(() => compareRuns([ok, empty])).toThrow(UserError);
    expect(() => compareRuns([ok, empty])).toThrow(/empty has no metrics\.json: .*fundus-train eval --run .*empty/);
    const garbled = fakeRun('garbled', 'g', goodReport);
    fs.writeFileSync(path.join(garbled, 'metrics.json'), '{"task": "binary", "classes": [');
    expect(() => compareRuns([garbled])).toThrow(
      /garbled[/\\]metrics\.json is not valid JSON \(.*\); rewrite it with fundus-train eval --run .*garbled/,
    );
    const wrong = fakeRun('wrong', 'w', goodReport);
    fs.writeFileSync(path.join(wrong, 'metrics.json'), JSON.stringify({ ...goodReport, task: 'regression' }));
    expect(() => compareRuns([wrong])).toThrow(
      /wrong[/\\]metrics\.json is not a metrics report: "task" should be one of binary, multiclass, multilabel/,
    );
    fs.writeFileSync(path.join(wrong, 'metrics.json'), JSON.stringify({ ...goodReport, headline: { auc: 0.9 } }));
    expect(() => compareRuns([wrong])).toThrow(/"headline\.auc" should be a metric/);
    expect(() => compareRuns([])).toThrow(/at least one run directory/);
  });

  test('runs of different tasks or class lists cannot share a table', () => {
    const bin = fakeRun('bin', 'bin', goodReport);
    const mc = computeMetrics({
      task: 'multiclass',
      classes: ['a', 'b', 'c'],
      labels: [0, 1, 2],
      probs: [
        [0.8, 0.1, 0.1],
        [0.1, 0.8, 0.1],
        [0.1, 0.1, 0.8],
      ],
    });
    const multi = fakeRun('multi', 'multi', mc);
    expect(() => compareRuns([bin, multi])).toThrow(
      /multi \(multiclass with classes a, b, c\) cannot share a table with .*bin \(binary with classes non_glaucoma, glaucoma\)/,
    );
    const renamed = fakeRun('renamed', 'renamed', { ...betterReport, classes: ['normal', 'glaucoma'] });
    expect(() => compareRuns([bin, renamed])).toThrow(UserError);
  });
});

test('readRunMetrics keeps the split and the report as written', () => {
  const dir = fakeRun('r', 'r', betterReport, 'val');
  const run = readRunMetrics(dir);
  expect(run.split).toBe('val');
  expect(run.name).toBe('r');
  expect(run.report.headline).toEqual(betterReport.headline);
});
