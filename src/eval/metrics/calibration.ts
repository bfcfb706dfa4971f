import { defined, Metric, undefinedMetric } from '../metric';
import { argmaxRows } from './classification';

/** One confidence bin of a reliability diagram. */
export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean top-class confidence in the bin; null for an empty bin. */
  confidence: number | null;
  /** Fraction of the bin's cases whose top class is the true class; null for an empty bin. */
  accuracy: number | null;
}

/** Bin edges i / nBins, computed by division so that they are exact where i / nBins is. */
function binEdges(nBins: number): number[] {
  return Array.from({ length: nBins + 1 }, (_, i) => i / nBins);
}

/** Index b with edges[b] < conf <= edges[b + 1]; a confidence of exactly 0 goes to the first bin. */
function binOf(conf: number, edges: readonly number[]): number {
  const nBins = edges.length - 1;
  let b = Math.min(nBins - 1, Math.max(0, Math.ceil(conf * nBins) - 1));
  // the product can round across an edge; settle it with the edges themselves
  while (b > 0 && conf <= edges[b]) b--;
  while (b < nBins - 1 && conf > edges[b + 1]) b++;
  return b;
}

/**
 * Reliability bins: `nBins` equal-width bins of the top-class confidence (max probability),
 * bins (lower, upper]; a case is right when its top class (argmax, first on ties) is its label.
 */
export function calibrationBins(labels: readonly number[], probs: readonly (readonly number[])[], nBins = 15): CalibrationBin[] {
  const edges = binEdges(nBins);
  const count = new Array<number>(nBins).fill(0);
  const confSum = new Array<number>(nBins).fill(0);
  const rightSum = new Array<number>(nBins).fill(0);
  const predicted = argmaxRows(probs);
  probs.forEach((row, i) => {
    const conf = row[predicted[i]];
    const b = binOf(conf, edges);
    count[b]++;
    confSum[b] += conf;
    if (predicted[i] === labels[i]) rightSum[b]++;
  });
  return count.map((c, b) => ({
    lower: edges[b],
    upper: edges[b + 1],
    count: c,
    confidence: c ? confSum[b] / c : null,
    accuracy: c ? rightSum[b] / c : null,
  }));
}

/** Expected calibration error: sum over bins of (|B| / n) * |mean confidence - accuracy|. */
export function expectedCalibrationError(bins: readonly CalibrationBin[]): Metric {
  const n = bins.reduce((a, b) => a + b.count, 0);
  if (n === 0) return undefinedMetric('no case');
  let ece = 0;
  for (const b of bins) {
    if (b.count) ece += (b.count / n) * Math.abs((b.confidence as number) - (b.accuracy as number));
  }
  return defined(ece);
}
