import { defined, Metric, undefinedMetric } from '../metric';
import { ThresholdCounts, thresholdCounts } from './roc';

/**
 * Average precision as scikit-learn defines it, without interpolation:
 * AP = sum over distinct thresholds (descending) of (R_k - R_{k-1}) * P_k, with R_0 = 0.
 * Needs at least one positive case (recall is meaningless otherwise); a set with no
 * negative case gives 1.
 */
export function averagePrecisionFromCounts(c: ThresholdCounts, subject: string): Metric {
  if (c.positives === 0) return undefinedMetric(`${subject} has no positive case`);
  let ap = 0;
  let prevTp = 0;
  for (let k = 0; k < c.tps.length; k++) {
    const tp = c.tps[k];
    if (tp !== prevTp) ap += ((tp - prevTp) / c.positives) * (tp / (tp + c.fps[k]));
    prevTp = tp;
  }
  return defined(ap);
}

export function averagePrecision(y: ArrayLike<number>, scores: ArrayLike<number>, subject = 'the data'): Metric {
  return averagePrecisionFromCounts(thresholdCounts(y, scores), subject);
}
