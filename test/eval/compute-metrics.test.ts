import { computeMetrics } from '../../src/eval/compute-metrics';
import { UserError } from '../../src/util/errors';

const classes = ['normal', 'cataract', 'glaucoma', 'dr'];
// glaucoma (2) never the truth; once predicted. Row 1 ties normal and glaucoma: argmax takes normal
const labels = [0, 0, 1, 1, 3, 3, 0, 1];
const probs = [
  [0.7, 0.1, 0.1, 0.1],
  [0.4, 0.1, 0.4, 0.1],
  [0.1, 0.6, 0.2, 0.1],
  [0.2, 0.5, 0.2, 0.1],
  [0.1, 0.1, 0.1, 0.7],
  [0.1, 0.1, 0.5, 0.3],
  [0.6, 0.2, 0.1, 0.1],
  [0.3, 0.3, 0.2, 0.2],
];

describe('computeMetrics with a class absent', () => {
  const report = computeMetrics({ task: 'multiclass', classes, labels, probs });

  test('the absent class has an undefined AUC with the reason; macro AUC skips it and says so', () => {
    expect(report.perClass[2].auc).toEqual({ value: null, reason: 'class "glaucoma" has no positive case' });
    const macro = report.headline.macro_auc;
    expect(macro.value).not.toBeNull();
    expect(macro).toMatchObject({ note: 'mean over 3 of 4 classes; skipped: class "glaucoma" has no positive case' });
    const mean = [0, 1, 3].reduce((a, c) => a + (report.perClass[c].auc.value as number), 0) / 3;
    expect(macro.value).toBeCloseTo(mean, 15);
  });

  test('zero division gives 0 and is stated; balanced accuracy names the skipped class', () => {
    expect(report.perClass[2].recall).toEqual({ value: 0, note: 'set to 0 (zero division): class "glaucoma" has no true case' });
    expect(report.headline.macro_recall).toMatchObject({
      note: 'includes values set to 0 (zero division): class "glaucoma" has no true case',
    });
    // weighted by support, the absent class weighs nothing and is not mentioned
    expect(report.headline.weighted_recall).not.toHaveProperty('note');
    expect(report.headline.balanced_accuracy).toMatchObject({ note: expect.stringContaining('"glaucoma"') });
  });

  test('headline order starts with macro AUC, and nothing is NaN', () => {
    expect(Object.keys(report.headline)[0]).toBe('macro_auc');
    const json = JSON.stringify(report);
    expect(json).not.toMatch(/NaN/);
    expect(JSON.parse(json).headline.accuracy.value).toBeCloseTo(6 / 8, 15);
  });

  test('the confusion matrix covers the full class list', () => {
    expect(report.confusionMatrix).toEqual([
      [3, 0, 0, 0],
      [1, 2, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 1, 1],
    ]);
  });
});

test('binary: positive class is index 1 and the settings are recorded', () => {
  const r = computeMetrics({
    task: 'binary',
    classes: ['normal', 'glaucoma'],
    labels: [0, 0, 0, 1, 1],
    probs: [
      [0.9, 0.1],
      [0.6, 0.4],
      [0.3, 0.7],
      [0.2, 0.8],
      [0.55, 0.45],
    ],
  });
  expect(r.headline.sensitivity.value).toBeCloseTo(0.5, 15);
  expect(r.headline.specificity.value).toBeCloseTo(2 / 3, 15);
  expect(r.headline.auc.value).toBeCloseTo(5 / 6, 15);
  expect(r.settings).toEqual({ specificity: 0.85, calibrationBins: 15 });
  expect(r.conventions.join('\n')).toMatch(/positive class = "glaucoma"/);
});

test('ordinal grades add the referable AUC', () => {
  const r = computeMetrics({
    task: 'multiclass',
    classes: ['0', '1', '2', '3', '4'],
    labels: [0, 1, 2, 4],
    probs: [
      [0.6, 0.2, 0.1, 0.05, 0.05],
      [0.2, 0.5, 0.2, 0.05, 0.05],
      [0.1, 0.2, 0.4, 0.2, 0.1],
      [0.05, 0.05, 0.1, 0.3, 0.5],
    ],
    ordinal: { referableFrom: 2 },
  });
  expect(r.headline.referable_auc.value).toBe(1);
  expect(() =>
    computeMetrics({ task: 'multiclass', classes: ['0', '1', '2'], labels: [0], probs: [[1, 0, 0]], ordinal: { referableFrom: 3 } }),
  ).toThrow(/referableFrom must be a grade between 1 and 2/);
});

test('bad input is a UserError naming the row', () => {
  expect(() =>
    computeMetrics({
      task: 'binary',
      classes: ['a', 'b'],
      labels: [0, 2],
      probs: [
        [1, 0],
        [0, 1],
      ],
    }),
  ).toThrow(new UserError('labels[1] = 2 is not a class index in 0..1'));
  expect(() => computeMetrics({ task: 'binary', classes: ['a', 'b'], labels: [], probs: [] })).toThrow(/no cases/);
  expect(() => computeMetrics({ task: 'multilabel', classes: ['a'], targets: [[2]], probs: [[0.5]] })).toThrow(/targets\[0\]\[0\] = 2 is not 0 or 1/);
  expect(() => computeMetrics({ task: 'multiclass', classes: ['a', 'b', 'c'], labels: [0], probs: [[NaN, 0, 1]] })).toThrow(
    /probs\[0\]\[0\] = NaN is not a probability/,
  );
});

test('bootstrap intervals can be asked for with the metrics', () => {
  const r = computeMetrics({ task: 'multiclass', classes, labels, probs }, { bootstrap: { resamples: 50, seed: 3 } });
  expect(r.ci!.resamples).toBe(50);
  expect(Object.keys(r.ci!.intervals)).toEqual(Object.keys(r.headline));
});
