import { defined, Metric, undefinedMetric } from '../metric';

/**
 * Cumulative true and false positives when the threshold walks down through the distinct
 * scores: entry k counts the cases with score >= thresholds[k]. Tied scores enter together,
 * which is what makes ties share rank (midranks in Mann-Whitney terms).
 */
export interface ThresholdCounts {
  thresholds: number[];
  tps: number[];
  fps: number[];
  positives: number;
  negatives: number;
}

/**
 * `y` holds 0/1 truth (1 = positive), `scores` the positive-class score; same length.
 * Positive and negative scores are sorted apart (native numeric sort, which the bootstrap's
 * thousands of calls need) and merged from the top.
 */
export function thresholdCounts(y: ArrayLike<number>, scores: ArrayLike<number>): ThresholdCounts {
  const n = y.length;
  if (scores.length !== n) throw new Error(`internal: ${n} truths but ${scores.length} scores`);
  let positives = 0;
  for (let i = 0; i < n; i++) if (y[i] === 1) positives++;
  const pos = new Float64Array(positives);
  const neg = new Float64Array(n - positives);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (y[i] === 1) pos[p++] = scores[i];
    else neg[q++] = scores[i];
  }
  pos.sort();
  neg.sort();
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let i = pos.length - 1;
  let j = neg.length - 1;
  while (i >= 0 || j >= 0) {
    const t = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    // every case scoring t enters at once: tied scores share one threshold
    while (i >= 0 && pos[i] === t) i--;
    while (j >= 0 && neg[j] === t) j--;
    thresholds.push(t);
    tps.push(pos.length - 1 - i);
    fps.push(neg.length - 1 - j);
  }
  return { thresholds, tps, fps, positives, negatives: n - positives };
}

/** Why a binary ranking metric has no value, or null when both classes are present. */
export function missingClassReason(counts: { positives: number; negatives: number }, subject: string): string | null {
  if (counts.positives === 0 && counts.negatives === 0) return `${subject} has no case`;
  if (counts.positives === 0) return `${subject} has no positive case`;
  if (counts.negatives === 0) return `${subject} has no negative case`;
  return null;
}

/**
 * ROC-AUC, exact: the trapezoid area under the ROC curve through every distinct score,
 * which equals the Mann-Whitney U statistic with tied scores counted as half (midranks).
 * Computed on integer counts, divided once at the end.
 */
export function rocAucFromCounts(c: ThresholdCounts, subject: string): Metric {
  const reason = missingClassReason(c, subject);
  if (reason) return undefinedMetric(reason);
  let twiceArea = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < c.tps.length; k++) {
    twiceArea += (c.fps[k] - prevFp) * (c.tps[k] + prevTp);
    prevTp = c.tps[k];
    prevFp = c.fps[k];
  }
  return defined(twiceArea / (2 * c.positives * c.negatives));
}

/** ROC-AUC of `scores` for 0/1 truth `y`; `subject` names what is scored, for the undefined reason. */
export function rocAuc(y: ArrayLike<number>, scores: ArrayLike<number>, subject = 'the data'): Metric {
  return rocAucFromCounts(thresholdCounts(y, scores), subject);
}

/**
 * The ROC curve through every distinct score (nothing dropped), starting at (0, 0).
 * thresholds[0] is Infinity (no case predicted positive; JSON writes it as null);
 * point k > 0 predicts positive every case with score >= thresholds[k].
 */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}

/** The curve from counts, or null when a class is missing (the AUC says why). */
export function rocCurveFromCounts(c: ThresholdCounts): RocCurve | null {
  if (c.positives === 0 || c.negatives === 0) return null;
  return {
    fpr: [0, ...c.fps.map((f) => f / c.negatives)],
    tpr: [0, ...c.tps.map((t) => t / c.positives)],
    thresholds: [Infinity, ...c.thresholds],
  };
}

export function rocCurve(y: ArrayLike<number>, scores: ArrayLike<number>): RocCurve | null {
  return rocCurveFromCounts(thresholdCounts(y, scores));
}

/**
 * Sensitivity at a fixed specificity by linear interpolation on the ROC curve (REFUGE uses
 * 0.85). If curve points have exactly that specificity, the highest sensitivity among them;
 * otherwise the straight line between the last point with higher specificity and the first
 * with lower, read at the target. Specificity is tn / negatives from the counts (not
 * 1 - fpr), so that a target such as 0.9 meets 9 of 10 negatives exactly.
 */
export function sensitivityAtSpecificityFromCounts(c: ThresholdCounts, specificity: number, subject: string): Metric {
  if (!(specificity >= 0 && specificity <= 1)) throw new Error(`specificity must be in [0, 1], got ${specificity}`);
  const reason = missingClassReason(c, subject);
  if (reason) return undefinedMetric(reason);
  // curve points from (specificity 1, sensitivity 0) down; specificity never increases
  const tnr = [1, ...c.fps.map((fp) => (c.negatives - fp) / c.negatives)];
  const tpr = [0, ...c.tps.map((tp) => tp / c.positives)];
  let a = 0; // last point with specificity >= target
  while (a + 1 < tnr.length && tnr[a + 1] >= specificity) a++;
  if (tnr[a] === specificity || a + 1 === tnr.length) return defined(tpr[a]);
  const b = a + 1;
  return defined(tpr[a] + ((tnr[a] - specificity) / (tnr[a] - tnr[b])) * (tpr[b] - tpr[a]));
}

export function sensitivityAtSpecificity(y: ArrayLike<number>, scores: ArrayLike<number>, specificity: number, subject = 'the data'): Metric {
  return sensitivityAtSpecificityFromCounts(thresholdCounts(y, scores), specificity, subject);
}
