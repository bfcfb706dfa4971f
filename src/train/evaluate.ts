import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/schema';
import { readDataConfig } from '../config/data-section';
import { Dataset, Split } from '../data/types';
import { loadDataset } from '../data/sources';
import { splitDataset } from '../data/split';
import { ImageBatches } from '../data/pipeline';
import { initBackend } from '../backend/select';
import { UserError } from '../util/errors';
import { loadRunModel } from './run-model';
import { readRunConfig, readTunedThresholds, reportFile, runPaths, writeMetricsJson } from './run-dir';
import { predictBatches } from './inference';
import { resolveLoss } from './losses';
import { computeMetrics, MetricsInput, MetricsReport } from '../eval/compute-metrics';
import { writePredictionsCsv } from '../eval/predictions';
import { formatTextReport } from '../eval/report/text';
import { latexMetricsTable } from '../eval/report/latex';
import { writeRunPlots } from '../eval/plots';
import { readEpochRecords } from '../eval/plots/epoch-records';
import { writeFileAtomic } from '../util/fs';
import type { Predictions } from './inference';

/** The metrics input for predictions over some of a dataset's samples (labels from the dataset itself). */
export function metricsInputFor(
  dataset: Dataset,
  preds: Predictions,
  config: Pick<ExperimentConfig, 'eval'>,
  options: { curves?: boolean; thresholds?: number[] } = {},
): MetricsInput {
  const samples = preds.indices.map((i) => dataset.samples[i]);
  if (dataset.task === 'multilabel') {
    return {
      task: 'multilabel',
      classes: dataset.classes,
      targets: samples.map((s) => s.labels!),
      probs: preds.probs,
      // "tune" without tuned values (validation during training) decides at 0.5.
      thresholds: options.thresholds ?? (config.eval.threshold === 'tune' ? 0.5 : config.eval.threshold),
      curves: options.curves,
    };
  }
  return {
    task: dataset.task,
    classes: dataset.classes,
    labels: samples.map((s) => s.label!),
    probs: preds.probs,
    specificity: config.eval.specificity,
    ordinal: config.eval.referableFrom !== null ? { referableFrom: config.eval.referableFrom } : undefined,
    curves: options.curves,
  };
}

export interface EvaluationContext {
  /** The checkpoint's metadata (model, epoch) for the record. */
  checkpoint: Record<string, string>;
  /** Which split or dataset was evaluated. */
  split: string;
  /** The run's metrics.jsonl, for the training-curves plot (absent: no curves). */
  metricsJsonl?: string;
  /** Multi-label thresholds tuned on validation (eval.threshold: tune). */
  thresholds?: number[];
}

/**
 * Writes an evaluation's outputs into `dir`: predictions.csv, metrics.json (with bootstrap
 * intervals), report/report.txt and report/table.tex.
 */
export async function writeEvaluation(
  dir: string,
  title: string,
  dataset: Dataset,
  preds: Predictions,
  config: Pick<ExperimentConfig, 'eval' | 'seed'>,
  context: EvaluationContext,
): Promise<MetricsReport> {
  const samples = preds.indices.map((i) => dataset.samples[i]);
  const groups = samples.every((s) => s.group !== undefined) ? samples.map((s) => s.group!) : undefined;
  const input = metricsInputFor(dataset, preds, config, { curves: true, thresholds: context.thresholds });
  const report = computeMetrics(input, {
    bootstrap: config.eval.bootstrap > 0 ? { resamples: config.eval.bootstrap, seed: config.seed, groups } : undefined,
  });
  writePredictionsCsv(runPaths(dir).predictions, {
    task: dataset.task,
    classes: dataset.classes,
    images: samples.map((s) => s.id),
    labels: dataset.task === 'multilabel' ? undefined : samples.map((s) => s.label!),
    targets: dataset.task === 'multilabel' ? samples.map((s) => s.labels!) : undefined,
    probs: preds.probs,
    groups,
  });
  // A binary task's second class is its positive one (data/positive-class.ts): say which in the file.
  const positiveClass = dataset.task === 'binary' ? { positiveClass: dataset.classes[1] } : {};
  writeMetricsJson(dir, { split: context.split, checkpoint: context.checkpoint, loss: preds.loss, ...positiveClass, ...report });
  const heading = title || `${context.split} split`;
  writeFileAtomic(reportFile(dir, 'report.txt'), formatTextReport(report, { title: heading }));
  writeFileAtomic(reportFile(dir, 'table.tex'), latexMetricsTable(report, { caption: heading }));
  const records = context.metricsJsonl && fs.existsSync(context.metricsJsonl) ? readEpochRecords(context.metricsJsonl) : [];
  await writeRunPlots(runPaths(dir).report, report, records, { title: heading });
  return report;
}

export interface EvaluateRunOptions {
  /** Run directory of a finished (or running) training. */
  runDir: string;
  /** Split of the run's own dataset to evaluate (default test). */
  split?: Split;
  /** Another dataset: a config file whose `data` section describes it; every image is evaluated. */
  dataConfig?: string;
  /** Output directory (default <run>/eval-<split or data config name>). */
  out?: string;
  /** Checkpoint to use (default best, else last). */
  checkpoint?: 'best' | 'last';
  bootstrap?: number;
}

export interface EvaluateRunResult {
  outDir: string;
  report: MetricsReport;
  images: number;
  checkpoint: string;
}

/** Evaluates a run's checkpoint on its own split or on another dataset (external validation). */
export async function evaluate(options: EvaluateRunOptions): Promise<EvaluateRunResult> {
  const runDir = path.resolve(options.runDir);
  const config = readRunConfig(runDir);
  if (options.bootstrap !== undefined) config.eval.bootstrap = options.bootstrap;
  await initBackend(config.backend);
  const { model, checkpoint: ckptDir, metadata: meta, classes } = loadRunModel(runDir, options.checkpoint);
  let dataset: Dataset;
  let indices: number[];
  let name: string;
  if (options.dataConfig) {
    // The model must see images prepared as in training, whatever the other config says.
    const external = { ...readDataConfig(options.dataConfig).data, preprocess: config.data.preprocess, minImageSize: config.data.minImageSize };
    dataset = await loadDataset(external, { seed: config.seed });
    dataset = alignClasses(dataset, classes, options.dataConfig);
    indices = dataset.samples.map((_, i) => i);
    name = path.basename(options.dataConfig).replace(/\.(ya?ml|json)$/i, '');
  } else {
    dataset = await loadDataset(config.data, { seed: config.seed });
    const split = options.split ?? 'test';
    indices = splitDataset(dataset, config.data.split, config.seed)[split];
    if (indices.length === 0) throw new UserError(`the ${split} split of ${runDir} is empty`);
    name = split;
  }
  const batches = new ImageBatches(dataset, indices, {
    imageSize: model.imageSize,
    normalize: config.data.normalize,
    seed: config.seed,
    prefetch: config.data.prefetch,
    batchSize: config.train.batchSize,
    skipBadImages: config.data.skipBadImages,
  });
  const loss = resolveLoss(config, dataset);
  const preds = await predictBatches(model, batches, loss);
  model.dispose();
  const outDir = path.resolve(options.out ?? path.join(runDir, `eval-${name}`));
  const report = await writeEvaluation(outDir, `${config.name}: ${name}`, dataset, preds, config, {
    checkpoint: meta,
    split: name,
    thresholds: dataset.task === 'multilabel' && config.eval.threshold === 'tune' ? readTunedThresholds(runDir) : undefined,
  });
  return { outDir, report, images: indices.length, checkpoint: ckptDir };
}

/** Reorders an external dataset's classes to the model's; different class names are an error. */
function alignClasses(dataset: Dataset, classes: string[], source: string): Dataset {
  if (dataset.classes.join('\u0000') === classes.join('\u0000')) return dataset;
  const same = dataset.classes.length === classes.length && classes.every((c) => dataset.classes.includes(c));
  if (!same) {
    throw new UserError(`${source}: its classes (${dataset.classes.join(', ')}) are not the model's (${classes.join(', ')})`);
  }
  const map = dataset.classes.map((c) => classes.indexOf(c));
  const samples = dataset.samples.map((s) => {
    if (s.labels) {
      const labels = new Array<number>(classes.length).fill(0);
      s.labels.forEach((v, i) => (labels[map[i]] = v));
      return { ...s, labels };
    }
    return { ...s, label: map[s.label!] };
  });
  return { ...dataset, classes, samples };
}
