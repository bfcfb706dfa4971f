import * as path from 'path';
import { writeFileAtomic } from '../../util/fs';
import type { MetricsReport } from '../compute-metrics';
import { renderCalibration } from './calibration';
import { renderConfusionMatrix } from './confusion-matrix';
import { renderRoc } from './roc';
import { renderTrainingCurves } from './training-curves';

export { renderVegaLite, vegaLiteToSvg } from './render';
export type { RenderOptions } from './render';
export { trainingCurvesSpec, renderTrainingCurves } from './training-curves';
export { rocSpec, renderRoc } from './roc';
export { confusionMatrixSpec, renderConfusionMatrix } from './confusion-matrix';
export { calibrationSpec, renderCalibration } from './calibration';
export { readEpochRecords } from './epoch-records';

export interface RunPlotsOptions {
  /** Added to each plot's title, e.g. the run name and split: "ROC curves: demo, test split". */
  title?: string;
}

/** The files writeRunPlots writes, by what they show. */
export const PLOT_FILES = {
  trainingCurves: 'training_curves.png',
  roc: 'roc.png',
  confusionMatrix: 'confusion_matrix.png',
  calibration: 'calibration.png',
} as const;

/**
 * Writes the PNG plots of a run into `reportDir` (each file atomically) and returns their
 * paths: training_curves.png when there are epoch records (metrics.jsonl), roc.png (the
 * report must be computed with `curves: true`), and for binary and multiclass reports
 * confusion_matrix.png and calibration.png. Multi-label: ROC per label only.
 */
export async function writeRunPlots(
  reportDir: string,
  report: MetricsReport,
  epochRecords: readonly object[],
  options: RunPlotsOptions = {},
): Promise<string[]> {
  if (!report.curves) throw new Error('internal: writeRunPlots needs a report computed with curves: true');
  const titled = (base: string) => ({ title: options.title ? `${base}: ${options.title}` : base });
  const plots: [string, () => Promise<Buffer>][] = [];
  if (epochRecords.length) plots.push([PLOT_FILES.trainingCurves, () => renderTrainingCurves(epochRecords, titled('Training curves'))]);
  plots.push([PLOT_FILES.roc, () => renderRoc(report, titled('ROC curves'))]);
  if (report.task !== 'multilabel' && report.confusionMatrix) {
    plots.push([PLOT_FILES.confusionMatrix, () => renderConfusionMatrix(report, titled('Confusion matrix'))]);
  }
  if (report.task !== 'multilabel' && report.calibration) {
    plots.push([PLOT_FILES.calibration, () => renderCalibration(report, titled('Reliability diagram'))]);
  }
  const written: string[] = [];
  // one after another: rendering is CPU-bound and the machine may be training
  for (const [file, render] of plots) {
    const target = path.join(reportDir, file);
    writeFileAtomic(target, await render());
    written.push(target);
  }
  return written;
}
