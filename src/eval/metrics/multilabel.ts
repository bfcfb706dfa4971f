import { classRef, defined, meanOfDefined, Metric, undefinedMetric } from '../metric';
import { averagePrecisionFromCounts } from './average-precision';
import { averagePrf, AveragedPrf, ClassCounts, microPrf, precisionRecallF1, PrecisionRecallF1 } from './classification';
import { RocCurve, rocAucFromCounts, rocCurveFromCounts, thresholdCounts } from './roc';

/**
 * Multi-label metrics: each label is its own binary problem (0/1 truth, independent
 * probability). Hard decisions are p >= threshold, per label.
 */

/** Decisions p >= threshold (one threshold for all labels, or one per label). */
export function binarize(probs: readonly (readonly number[])[], thresholds: number | readonly number[]): number[][] {
  return probs.map((row) => row.map((p, j) => (p >= (typeof thresholds === 'number' ? thresholds : thresholds[j]) ? 1 : 0)));
}

export interface LabelMetrics extends PrecisionRecallF1 {
  label: string;
  /** Number of positive cases. */
  support: number;
  auc: Metric;
  averagePrecision: Metric;
  threshold: number;
}

export interface MultilabelMetrics {
  perLabel: LabelMetrics[];
  macroAuc: Metric;
  /** AUC of all (case, label) pairs pooled, as scikit-learn's average='micro'. */
  microAuc: Metric;
  macroAveragePrecision: Metric;
  averages: AveragedPrf & { micro: PrecisionRecallF1 };
  /** Fraction of cases whose every label is right (scikit-learn's accuracy_score on indicators). */
  subsetAccuracy: Metric;
  /** Fraction of wrong (case, label) decisions. */
  hammingLoss: Metric;
  curves?: (RocCurve | null)[];
}

function column(m: readonly (readonly number[])[], j: number): number[] {
  return m.map((row) => row[j]);
}

export function multilabelMetrics(
  targets: readonly (readonly number[])[],
  probs: readonly (readonly number[])[],
  labels: readonly string[],
  thresholds: readonly number[],
  options: { curves?: boolean } = {},
): MultilabelMetrics {
  const n = targets.length;
  const nLabels = labels.length;
  const decisions = binarize(probs, thresholds);
  const counts: ClassCounts[] = [];
  const curves: (RocCurve | null)[] = [];
  const perLabel: LabelMetrics[] = labels.map((name, j) => {
    const y = column(targets, j);
    const s = column(probs, j);
    const ref = classRef(name, 'label');
    const tc = thresholdCounts(y, s);
    if (options.curves) curves.push(rocCurveFromCounts(tc));
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < n; i++) {
      const d = decisions[i][j];
      if (d === 1 && y[i] === 1) tp++;
      else if (d === 1) fp++;
      else if (y[i] === 1) fn++;
    }
    counts.push({ tp, fp, fn, support: tp + fn });
    return {
      label: name,
      support: tp + fn,
      auc: rocAucFromCounts(tc, ref),
      averagePrecision: averagePrecisionFromCounts(tc, ref),
      threshold: thresholds[j],
      ...precisionRecallF1({ tp, fp, fn }, ref),
    };
  });

  let exact = 0;
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    let rowWrong = 0;
    for (let j = 0; j < nLabels; j++) if (decisions[i][j] !== targets[i][j]) rowWrong++;
    wrong += rowWrong;
    if (rowWrong === 0) exact++;
  }

  const result: MultilabelMetrics = {
    perLabel,
    macroAuc: meanOfDefined(
      perLabel.map((r) => r.auc),
      'label',
      'AUC',
    ),
    microAuc: rocAucFromCounts(thresholdCounts(targets.flat(), probs.flat()), 'the pooled (case, label) pairs'),
    macroAveragePrecision: meanOfDefined(
      perLabel.map((r) => r.averagePrecision),
      'label',
      'average precision',
    ),
    averages: {
      ...averagePrf(
        perLabel,
        counts.map((c) => c.support),
      ),
      micro: microPrf(counts),
    },
    subsetAccuracy: n ? defined(exact / n) : undefinedMetric('no case'),
    hammingLoss: n * nLabels ? defined(wrong / (n * nLabels)) : undefinedMetric('no case'),
  };
  if (options.curves) result.curves = curves;
  return result;
}

export interface TunedThresholds {
  thresholds: number[];
  /** The best F1 each label reached on the tuning data. */
  f1: Metric[];
  notes: string[];
}

/**
 * Per-label thresholds that maximise F1 on validation data (decision p >= threshold).
 * Every distinct score is a candidate; on equal F1 the higher threshold wins. The threshold
 * returned lies midway between the chosen score and the next lower one, so it makes the same
 * decisions on the tuning data and sits away from its scores. A label without a positive
 * case cannot be tuned (F1 is 0 whatever the threshold) and keeps `fallback`.
 */
export function tuneThresholds(
  targets: readonly (readonly number[])[],
  probs: readonly (readonly number[])[],
  labels: readonly string[],
  fallback = 0.5,
): TunedThresholds {
  const thresholds: number[] = [];
  const f1: Metric[] = [];
  const notes: string[] = [];
  labels.forEach((name, j) => {
    const tc = thresholdCounts(column(targets, j), column(probs, j));
    if (tc.positives === 0) {
      thresholds.push(fallback);
      f1.push(undefinedMetric(`${classRef(name, 'label')} has no positive case`));
      notes.push(`${classRef(name, 'label')} has no positive case in the tuning data: threshold kept at ${fallback}`);
      return;
    }
    let best = -1;
    let bestK = 0;
    for (let k = 0; k < tc.tps.length; k++) {
      const tp = tc.tps[k];
      const score = (2 * tp) / (tp + tc.fps[k] + tc.positives);
      if (score > best) {
        best = score;
        bestK = k;
      }
    }
    const chosen = tc.thresholds[bestK];
    const next = tc.thresholds[bestK + 1];
    let threshold = chosen;
    if (next !== undefined) {
      const mid = (chosen + next) / 2;
      if (mid > next && mid <= chosen) threshold = mid;
    }
    thresholds.push(threshold);
    f1.push(defined(best));
  });
  return { thresholds, f1, notes };
}
