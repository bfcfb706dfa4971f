import { Rng } from '../../../src/util/random';
import { rocAuc, rocCurve, sensitivityAtSpecificity, thresholdCounts } from '../../../src/eval/metrics/roc';

/** Mann-Whitney by brute force over all (positive, negative) pairs, ties counting half. */
function pairwiseAuc(y: number[], s: number[]): number {
  let wins = 0;
  let pairs = 0;
  y.forEach((yi, i) => {
    if (yi !== 1) return;
    y.forEach((yj, j) => {
      if (yj !== 0) return;
      pairs++;
      wins += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('rocAuc', () => {
  test('a hand-computed case', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).value).toBeCloseTo(0.75, 15);
    expect(rocAuc([0, 1], [0.5, 0.5]).value).toBe(0.5);
    expect(rocAuc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2]).value).toBe(1);
    expect(rocAuc([0, 1, 0, 1], [0.9, 0.1, 0.8, 0.2]).value).toBe(0);
  });

  test('equals the pairwise Mann-Whitney statistic with ties sharing rank', () => {
    const rng = Rng.create(7, 'test');
    for (let trial = 0; trial < 25; trial++) {
      const n = 5 + rng.int(40);
      const y = Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
      y[0] = 1;
      y[1] = 0;
      // a coarse grid of scores makes many ties
      const s = y.map((v) => Math.round((0.3 * v + rng.next()) * 5) / 5);
      expect(Math.abs((rocAuc(y, s).value as number) - pairwiseAuc(y, s))).toBeLessThan(1e-12);
    }
  });

  test('a missing class gives an undefined value with the reason, never NaN', () => {
    expect(rocAuc([0, 0, 0], [0.1, 0.2, 0.3], 'class "glaucoma"')).toEqual({
      value: null,
      reason: 'class "glaucoma" has no positive case',
    });
    expect(rocAuc([1, 1], [0.1, 0.2], 'class "normal"')).toEqual({ value: null, reason: 'class "normal" has no negative case' });
    expect(rocAuc([], [], 'label "x"')).toEqual({ value: null, reason: 'label "x" has no case' });
    expect(rocCurve([1, 1], [0.3, 0.4])).toBeNull();
  });

  test('counts group tied scores into one threshold', () => {
    const c = thresholdCounts([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1]);
    expect(c).toEqual({ thresholds: [0.9, 0.5, 0.1], tps: [1, 2, 2], fps: [0, 1, 2], positives: 2, negatives: 2 });
    expect(rocCurve([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.1])).toEqual({
      fpr: [0, 0, 0.5, 1],
      tpr: [0, 0.5, 1, 1],
      thresholds: [Infinity, 0.9, 0.5, 0.1],
    });
  });
});

describe('sensitivityAtSpecificity', () => {
  // 10 negatives, 4 positives; one positive ties with a negative at 0.9
  const neg = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
  const pos = [0.97, 0.92, 0.9, 0.3];
  const y = [...neg.map(() => 0), ...pos.map(() => 1)];
  const s = [...neg, ...pos];
  // curve (specificity, sensitivity): (1,0) (1,.25) (.9,.25) (.9,.5) (.8,.75) (.7,.75) ...

  test('interpolates linearly between the points around the target', () => {
    expect(sensitivityAtSpecificity(y, s, 0.85).value).toBeCloseTo(0.625, 12);
  });

  test('takes the highest sensitivity where points sit exactly at the target', () => {
    expect(sensitivityAtSpecificity(y, s, 0.9).value).toBe(0.5);
    expect(sensitivityAtSpecificity(y, s, 1).value).toBe(0.25);
    expect(sensitivityAtSpecificity(y, s, 0).value).toBe(1);
  });

  test('is undefined without positives', () => {
    expect(sensitivityAtSpecificity([0, 0], [0.2, 0.4], 0.85, 'positive class "glaucoma"')).toEqual({
      value: null,
      reason: 'positive class "glaucoma" has no positive case',
    });
  });
});
