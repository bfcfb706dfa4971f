import * as fs from 'fs';
import * as path from 'path';
import { validateConfig } from '../config/load';
import { ExperimentConfig } from '../config/schema';
import type { MetricsReport } from '../eval/compute-metrics';
import { readEpochRecords as readEpochRecordFile } from '../eval/plots/epoch-records';
import { UserError } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs';
import type { EpochRecord } from './callbacks';

/**
 * The layout of a run directory (README, "The run directory"): every file name lives here, so
 * the trainer, eval, predict and serve agree on it. An eval output directory has the same
 * evaluation files (metrics.json, predictions.csv, report/).
 */
export const RUN_FILES = {
  config: 'config.json',
  manifest: 'manifest.json',
  splits: 'splits.csv',
  epochRecords: 'metrics.jsonl',
  metrics: 'metrics.json',
  predictions: 'predictions.csv',
  report: 'report',
  checkpoints: 'checkpoints',
} as const;

/** Files of one checkpoint directory. */
export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  trainer: 'trainer.json',
} as const;

export type CheckpointName = 'best' | 'last';

export interface RunPaths {
  dir: string;
  config: string;
  manifest: string;
  splits: string;
  epochRecords: string;
  metrics: string;
  predictions: string;
  report: string;
  checkpoints: string;
  best: string;
  last: string;
}

/** Absolute-or-relative (as given) paths of every file of a run directory. */
export function runPaths(run: string): RunPaths {
  const at = (name: string) => path.join(run, name);
  return {
    dir: run,
    config: at(RUN_FILES.config),
    manifest: at(RUN_FILES.manifest),
    splits: at(RUN_FILES.splits),
    epochRecords: at(RUN_FILES.epochRecords),
    metrics: at(RUN_FILES.metrics),
    predictions: at(RUN_FILES.predictions),
    report: at(RUN_FILES.report),
    checkpoints: at(RUN_FILES.checkpoints),
    best: checkpointDir(run, 'best'),
    last: checkpointDir(run, 'last'),
  };
}

export function checkpointDir(run: string, which: CheckpointName): string {
  return path.join(run, RUN_FILES.checkpoints, which);
}

/** A file of the evaluation report folder (report/report.txt, report/roc.png, ...). */
export function reportFile(dir: string, name: string): string {
  return path.join(dir, RUN_FILES.report, name);
}

export function isRunDir(dir: string): boolean {
  return fs.existsSync(runPaths(dir).config);
}

/**
 * The checkpoint of a run that eval, predict, serve and export use: the one asked for, else the
 * best (by the monitored validation metric), else the last. Missing is a one-line UserError.
 */
export function runCheckpointDir(run: string, which?: CheckpointName): string {
  const chosen = which ?? (fs.existsSync(checkpointDir(run, 'best')) ? 'best' : 'last');
  const dir = checkpointDir(run, chosen);
  if (!fs.existsSync(dir))
    throw new UserError(`${run} has no ${RUN_FILES.checkpoints}/${chosen}: train it first, or pass a run directory that holds checkpoints`);
  return dir;
}

function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${file} cannot be read: ${what}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UserError(`${file} is not JSON (${(e as Error).message}): ${what}`);
  }
}

/** The resolved config a run was trained with. */
export function readRunConfig(run: string): ExperimentConfig {
  const file = runPaths(run).config;
  if (!fs.existsSync(file)) throw new UserError(`${run} is not a run directory: no ${RUN_FILES.config}`);
  return validateConfig(readJsonFile(file, 'it should be the resolved config the run wrote'), file);
}

export function writeRunConfig(run: string, config: ExperimentConfig): void {
  writeJsonAtomic(runPaths(run).config, config);
}

export function writeSplitsCsv(run: string, text: string): void {
  writeFileAtomic(runPaths(run).splits, text);
}

/** metrics.json: an evaluation's report with what was evaluated. */
export type MetricsJson = MetricsReport & { split: string; checkpoint: Record<string, string>; loss: number | null };

export function writeMetricsJson(dir: string, value: MetricsJson): void {
  writeJsonAtomic(runPaths(dir).metrics, value);
}

/** Reads `<dir>/metrics.json`; missing, garbled or not an object is a one-line UserError naming the file. */
export function readMetricsJson(dir: string): MetricsJson {
  const file = runPaths(dir).metrics;
  if (!fs.existsSync(file))
    throw new UserError(`${dir} has no ${RUN_FILES.metrics}: training writes it at the end; or run fundus-train eval --run ${dir}`);
  const value = readJsonFile(file, `rewrite it with fundus-train eval --run ${dir}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UserError(`${file} is not an object of metrics: rewrite it with fundus-train eval --run ${dir}`);
  return value as MetricsJson;
}

/** Multi-label thresholds tuned on validation at the end of training, when the run has them. */
export function readTunedThresholds(run: string): number[] | undefined {
  if (!fs.existsSync(runPaths(run).metrics)) return undefined;
  return readMetricsJson(run).settings?.thresholds;
}

/** The epoch records of a run's metrics.jsonl (a bad line is a UserError naming file and line). */
export function readEpochRecords(run: string): EpochRecord[] {
  return readEpochRecordFile(runPaths(run).epochRecords) as EpochRecord[];
}

/** Starts metrics.jsonl afresh, or (resuming) keeps only the records of the first `epochs` epochs. */
export function resetEpochRecords(run: string, epochs = 0): void {
  const file = runPaths(run).epochRecords;
  // Epochs after the checkpoint never happened as far as a resumed run is concerned.
  const kept = epochs > 0 && fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, epochs) : [];
  writeFileAtomic(file, kept.map((l) => l + '\n').join(''));
}

export function appendEpochRecord(run: string, record: EpochRecord): void {
  fs.appendFileSync(runPaths(run).epochRecords, JSON.stringify(record) + '\n');
}
