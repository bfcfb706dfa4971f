import { userAssert } from '../util/errors';
import { computeMetrics, MetricsReport } from './compute-metrics';
import { predictionsToMetricsInput, readPredictionsCsv } from './predictions';
import { formatTextReport } from './report/text';

export interface ScoreOptions {
  /** Bootstrap resamples for confidence intervals; 0 or absent: no intervals. */
  bootstrap?: number;
  /** Seed of the bootstrap stream (default 0). */
  seed?: number;
  /** Binary: specificity for the sensitivity-at-specificity metric (default 0.85). */
  specificity?: number;
  /** Ordered grades: adds the referable AUC. */
  ordinal?: { referableFrom: number };
  /** Multi-label decision thresholds (default 0.5). */
  thresholds?: number | number[];
}

/**
 * Metrics from any predictions CSV (ours or another tool's), what `fundus-train score`
 * prints. Patients are resampled when the file has a `group` column.
 */
export function scorePredictions(csvPath: string, options: ScoreOptions = {}): { report: MetricsReport; text: string } {
  const resamples = options.bootstrap ?? 0;
  userAssert(Number.isInteger(resamples) && resamples >= 0, `--bootstrap must be a whole number >= 0, got ${resamples}`);
  const table = readPredictionsCsv(csvPath);
  const input = predictionsToMetricsInput(table, options);
  const report = computeMetrics(input, {
    bootstrap: resamples > 0 ? { resamples, seed: options.seed ?? 0, groups: table.groups } : undefined,
  });
  return { report, text: formatTextReport(report, { title: `Scores of ${csvPath}` }) };
}
