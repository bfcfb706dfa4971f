import { calibrationBins, expectedCalibrationError } from '../../../src/eval/metrics/calibration';

describe('expected calibration error', () => {
  test('a hand-computed case, one case per bin', () => {
    const probs = [
      [0.1, 0.9], // conf .9, right
      [0.2, 0.8], // conf .8, wrong
      [0.6, 0.4], // conf .6, right
      [0.5, 0.5], // tie: argmax is class 0, conf .5, wrong
    ];
    const labels = [1, 0, 0, 1];
    const bins = calibrationBins(labels, probs);
    expect(bins).toHaveLength(15);
    expect(bins.filter((b) => b.count).map((b) => [b.lower, b.upper])).toEqual([
      [7 / 15, 8 / 15],
      [8 / 15, 9 / 15],
      [11 / 15, 12 / 15],
      [13 / 15, 14 / 15],
    ]);
    expect(expectedCalibrationError(bins).value).toBeCloseTo((0.1 + 0.8 + 0.4 + 0.5) / 4, 12);
  });

  test('bins are (lower, upper]: a confidence on an edge joins the bin below it', () => {
    // 0.4 = 6/15 is an edge; it shares the bin (1/3, 0.4] with 0.38
    const probs = [
      [0.4, 0.3, 0.3],
      [0.38, 0.32, 0.3],
    ];
    const labels = [0, 1];
    const bins = calibrationBins(labels, probs);
    const used = bins.filter((b) => b.count);
    expect(used).toHaveLength(1);
    expect(used[0].upper).toBe(0.4);
    expect(used[0].accuracy).toBe(0.5);
    // same bin: |0.39 - 0.5| = 0.11; separate bins would give 0.49
    expect(expectedCalibrationError(bins).value).toBeCloseTo(0.11, 12);
  });

  test('a confidence of 1 lies in the last bin and empty bins carry null', () => {
    const bins = calibrationBins([0], [[1, 0]]);
    expect(bins[14].count).toBe(1);
    expect(bins[0]).toEqual({ lower: 0, upper: 1 / 15, count: 0, confidence: null, accuracy: null });
    expect(expectedCalibrationError(bins).value).toBe(0);
  });
});
