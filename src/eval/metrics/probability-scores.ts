import { defined, Metric, undefinedMetric } from '../metric';

/**
 * Proper scoring rules of predicted probabilities (lower is better).
 */

/**
 * Brier score. Binary (2 classes): mean of (p_positive - y)^2 on the positive class, as
 * scikit-learn's brier_score_loss. Multiclass: mean over cases of the sum over classes of
 * (p_c - [y = c])^2 (Brier's original form; for 2 classes it would be twice the binary one).
 */
export function brierScore(labels: readonly number[], probs: readonly (readonly number[])[], positive = 1): Metric {
  const n = labels.length;
  if (n === 0) return undefinedMetric('no case');
  let sum = 0;
  if (probs[0].length === 2) {
    for (let i = 0; i < n; i++) sum += (probs[i][positive] - (labels[i] === positive ? 1 : 0)) ** 2;
  } else {
    for (let i = 0; i < n; i++) {
      const row = probs[i];
      for (let c = 0; c < row.length; c++) sum += (row[c] - (labels[i] === c ? 1 : 0)) ** 2;
    }
  }
  return defined(sum / n);
}

/** Smallest probability log loss uses: float64 machine epsilon, as scikit-learn's eps='auto'. */
export const LOG_LOSS_EPS = 2 ** -52;

/**
 * Mean negative log-likelihood of the true class (natural log), as scikit-learn 1.2's
 * log_loss(labels = all classes): each probability is clipped to [eps, 1 - eps], each row is
 * renormalised to sum 1, then -log p_true is averaged.
 */
export function logLoss(labels: readonly number[], probs: readonly (readonly number[])[]): Metric {
  const n = labels.length;
  if (n === 0) return undefinedMetric('no case');
  const clip = (p: number) => Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, p));
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const row = probs[i];
    let rowSum = 0;
    for (const p of row) rowSum += clip(p);
    sum -= Math.log(clip(row[labels[i]]) / rowSum);
  }
  return defined(sum / n);
}
