import { multilabelMetrics, tuneThresholds } from '../../../src/eval/metrics/multilabel';

describe('tuneThresholds', () => {
  const targets = [
    [1, 0, 1],
    [1, 0, 1],
    [0, 0, 0],
    [0, 0, 0],
    [1, 0, 0],
  ];
  const probs = [
    [0.9, 0.1, 0.8],
    [0.6, 0.2, 0.8],
    [0.55, 0.3, 0.4],
    [0.2, 0.4, 0.4],
    [0.3, 0.5, 0.1],
  ];
  const labels = ['cataract', 'glaucoma', 'dr'];
  const tuned = tuneThresholds(targets, probs, labels);

  test('picks the F1-maximising threshold, midway to the next lower score', () => {
    // label 0: candidates 0.9 (F1 .5), 0.6 (.8), 0.55 (.667), 0.3 (6/7), 0.2 (.75)
    expect(tuned.thresholds[0]).toBeCloseTo(0.25, 15);
    expect(tuned.f1[0].value).toBeCloseTo(6 / 7, 15);
    // label 2: 0.8 gives F1 1
    expect(tuned.thresholds[2]).toBeCloseTo(0.6, 15);
    expect(tuned.f1[2].value).toBe(1);
  });

  test('the tuned thresholds reproduce the best F1 when applied', () => {
    const m = multilabelMetrics(targets, probs, labels, tuned.thresholds);
    expect(m.perLabel[0].f1.value).toBeCloseTo(6 / 7, 15);
    expect(m.perLabel[2].f1.value).toBe(1);
  });

  test('a label without positives keeps the fallback and says why', () => {
    expect(tuned.thresholds[1]).toBe(0.5);
    expect(tuned.f1[1]).toEqual({ value: null, reason: 'label "glaucoma" has no positive case' });
    expect(tuned.notes).toEqual(['label "glaucoma" has no positive case in the tuning data: threshold kept at 0.5']);
  });

  test('on equal F1 the higher threshold wins', () => {
    // 0.8 -> tp1 fp0 fn1: F1 2/3; 0.4 -> tp2 fp2: F1 4/6 = 2/3 as well
    const t = tuneThresholds([[1], [0], [0], [1]], [[0.8], [0.6], [0.5], [0.4]], ['x']);
    expect(t.thresholds[0]).toBeCloseTo(0.7, 15);
  });
});

test('a constant label: AUC undefined with reason, macro AUC skips it and says so', () => {
  const m = multilabelMetrics(
    [
      [1, 0],
      [0, 0],
      [1, 0],
    ],
    [
      [0.8, 0.3],
      [0.2, 0.1],
      [0.6, 0.7],
    ],
    ['dr', 'glaucoma'],
    [0.5, 0.5],
  );
  expect(m.perLabel[1].auc).toEqual({ value: null, reason: 'label "glaucoma" has no positive case' });
  expect(m.macroAuc).toEqual({ value: 1, note: 'mean over 1 of 2 labels; skipped: label "glaucoma" has no positive case' });
  // one false positive: F1 is a plain 0; recall divides by zero and says so
  expect(m.perLabel[1].f1).toEqual({ value: 0 });
  expect(m.perLabel[1].recall).toEqual({ value: 0, note: 'set to 0 (zero division): label "glaucoma" has no true case' });
  expect(m.hammingLoss.value).toBeCloseTo(1 / 6, 15);
  expect(m.subsetAccuracy.value).toBeCloseTo(2 / 3, 15);
});
