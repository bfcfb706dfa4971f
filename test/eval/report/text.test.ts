import { computeMetrics, MetricsReport } from '../../../src/eval/compute-metrics';
import { bootstrapMetrics } from '../../../src/eval/compute-metrics';
import {
  formatClassificationReport,
  formatConfusionMatrix,
  formatEpochReport,
  formatHeadline,
  formatTextReport,
} from '../../../src/eval/report/text';

const classes = ['normal', 'cataract', 'glaucoma'];
const labels = [0, 0, 0, 1, 1, 2, 2, 2];
const probs = [
  [0.8, 0.1, 0.1],
  [0.6, 0.3, 0.1],
  [0.3, 0.6, 0.1],
  [0.2, 0.7, 0.1],
  [0.5, 0.4, 0.1],
  [0.1, 0.2, 0.7],
  [0.2, 0.2, 0.6],
  [0.4, 0.3, 0.3],
];
const input = { task: 'multiclass' as const, classes, labels, probs };
const report = computeMetrics(input);

test("the classification report has scikit-learn's rows and numbers", () => {
  const text = formatClassificationReport(report);
  const lines = text.split('\n');
  expect(lines[0]).toMatch(/^\s+precision\s+recall\s+f1-score\s+support$/);
  // normal: tp 2, fp 2 (cataract case, glaucoma case), fn 1 -> P .50 R .67 F1 .57
  expect(text).toMatch(/^\s+normal\s+0\.50\s+0\.67\s+0\.57\s+3$/m);
  expect(text).toMatch(/^\s+accuracy\s+0\.63\s+8$/m);
  expect(text).toMatch(/^\s+macro avg(\s+\d\.\d\d){3}\s+8$/m);
  expect(text).toMatch(/^weighted avg(\s+\d\.\d\d){3}\s+8$/m);
  // numbers line up under their headers
  const col = lines[0].indexOf('recall') + 'recall'.length;
  const normal = lines.find((l) => l.includes('normal'))!;
  expect(normal.slice(col - 4, col)).toBe('0.67');
});

test('zero division is marked and stated', () => {
  const r = computeMetrics({ task: 'multiclass', classes, labels: [0, 1, 0], probs: [probs[0], probs[3], probs[1]] });
  const text = formatClassificationReport(r);
  expect(text).toMatch(/^\s+glaucoma\s+0\.00\*\s+0\.00\*\s+0\.00\*\s+0$/m);
  expect(text).toContain('* zero division, set to 0 (scikit-learn zero_division=0)');
});

test('the confusion matrix is labelled with class names', () => {
  expect(formatConfusionMatrix(report).split('\n')).toEqual([
    'true \\ predicted  normal  cataract  glaucoma',
    'normal                 2         1         0',
    'cataract               1         1         0',
    'glaucoma               1         0         2',
  ]);
});

test('headline lines carry intervals when there are some, and reasons when undefined', () => {
  const withCi: MetricsReport = { ...report, ci: bootstrapMetrics(input, { resamples: 30, seed: 1 }) };
  const text = formatHeadline(withCi);
  const iv = withCi.ci!.intervals.macro_auc as { lo: number; hi: number };
  expect(text.split('\n')[0]).toBe(`Macro AUC           ${report.headline.macro_auc.value!.toFixed(4)}  [${iv.lo.toFixed(4)}, ${iv.hi.toFixed(4)}]`);
  expect(text).toMatch(/95% percentile bootstrap intervals: 30 resamples of 8 cases, seed 1, \d+ redrawn/);
  const oneClass = computeMetrics({ task: 'multiclass', classes, labels: [1, 1], probs: [probs[3], probs[4]] });
  expect(formatHeadline(oneClass)).toMatch(/^Macro AUC\s+n\/a {2}\(no class has a defined AUC \(class "normal" has no positive case; /m);
});

test('the full report holds every part, notes and definitions', () => {
  const text = formatTextReport(report, { title: 'test split' });
  for (const part of ['test split', 'Macro AUC', 'weighted avg', 'confusion matrix', 'per class AUC', 'definitions', 'argmax']) {
    expect(text).toContain(part);
  }
  const ml = computeMetrics({
    task: 'multilabel',
    classes: ['a', 'b'],
    targets: [
      [1, 0],
      [0, 0],
    ],
    probs: [
      [0.7, 0.2],
      [0.4, 0.6],
    ],
  });
  const mlText = formatTextReport(ml);
  expect(mlText).toMatch(/^\s+micro avg/m);
  expect(mlText).not.toContain('confusion matrix');
  expect(mlText).toContain('- b AUC: undefined, label "b" has no positive case');
});

test('the epoch report is one line per class plus two', () => {
  const lines = formatEpochReport(report).split('\n');
  expect(lines).toHaveLength(classes.length + 2);
  expect(lines[0]).toMatch(/^\s+P\s+R\s+F1\s+AUC\s+n$/);
  expect(lines[1]).toMatch(/^normal\s+0\.500\s+0\.667\s+0\.571\s+\d\.\d{3}\s+3$/);
  // a zero-division mark does not shift the columns
  const r = computeMetrics({ task: 'multiclass', classes, labels: [0, 1, 0], probs: [probs[0], probs[3], probs[1]] });
  const [head, , , glaucoma] = formatEpochReport(r).split('\n');
  expect(glaucoma).toMatch(/^glaucoma\s+0\.000\*\s+0\.000\*\s+0\.000\*\s+n\/a\s+0$/);
  expect(glaucoma.indexOf('*')).toBe(head.indexOf('P') + 1);
  expect(lines[4]).toMatch(/^Macro AUC \d\.\d{3} \| Accuracy 0\.625 \| Macro F1 \d\.\d{3} \| Weighted F1 \d\.\d{3} \| Quadratic kappa/);
});
