import { defined, Metric, undefinedMetric } from '../metric';

export type KappaWeights = 'quadratic' | 'linear' | 'none';

/**
 * Cohen's kappa from a confusion matrix over the FULL label list (so an absent grade still
 * counts in the weights): kappa = 1 - sum(w * O) / sum(w * E), with E = outer(row sums,
 * column sums) / N and w_ij = (i - j)^2 (quadratic), |i - j| (linear) or [i != j] (none).
 * Undefined when sum(w * E) = 0, i.e. every true and predicted case is in one class.
 */
export function cohenKappa(cm: readonly (readonly number[])[], weights: KappaWeights = 'quadratic'): Metric {
  const k = cm.length;
  const rowSums = cm.map((row) => row.reduce((a, b) => a + b, 0));
  const colSums = Array.from({ length: k }, (_, j) => cm.reduce((a, row) => a + row[j], 0));
  const n = rowSums.reduce((a, b) => a + b, 0);
  if (n === 0) return undefinedMetric('no case');
  const weight = (i: number, j: number): number =>
    weights === 'quadratic' ? (i - j) ** 2 : weights === 'linear' ? Math.abs(i - j) : i === j ? 0 : 1;
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = weight(i, j);
      observed += w * cm[i][j];
      expected += (w * rowSums[i] * colSums[j]) / n;
    }
  }
  if (expected === 0) return undefinedMetric('every true and predicted case is in one class: kappa is undefined');
  return defined(1 - observed / expected);
}
