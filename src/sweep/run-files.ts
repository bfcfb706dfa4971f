import * as fs from 'fs';
import * as path from 'path';
import { runPaths } from '../train/run-dir';

/** Where a fold run keeps its predictions on its own validation fold (an eval output directory). */
const OUT_OF_FOLD_DIR = 'eval-val';

/**
 * The run files the sweep reads, through train/run-dir (which owns the layout), plus the one
 * directory a study adds to a fold run.
 */
export const runFiles = {
  metrics: (runDir: string) => runPaths(runDir).metrics,
  manifest: (runDir: string) => runPaths(runDir).manifest,
  predictions: (runDir: string) => runPaths(runDir).predictions,
  epochs: (runDir: string) => runPaths(runDir).epochRecords,
  lastCheckpoint: (runDir: string) => runPaths(runDir).last,
  /** The fold model's predictions on its own validation fold: the out-of-fold predictions. */
  outOfFoldDir: (runDir: string) => path.join(runDir, OUT_OF_FOLD_DIR),
  outOfFoldPredictions: (runDir: string) => runPaths(path.join(runDir, OUT_OF_FOLD_DIR)).predictions,
};

/** complete: trained and tested; interrupted: a checkpoint without the end (resume it); pending: nothing to resume. */
export type RunState = 'complete' | 'interrupted' | 'pending';

function finished(runDir: string): boolean {
  try {
    const manifest = JSON.parse(fs.readFileSync(runFiles.manifest(runDir), 'utf8')) as { finished?: unknown };
    return typeof manifest.finished === 'string';
  } catch {
    return false;
  }
}

export function runState(runDir: string): RunState {
  if (fs.existsSync(runFiles.metrics(runDir)) && finished(runDir)) return 'complete';
  return fs.existsSync(runFiles.lastCheckpoint(runDir)) ? 'interrupted' : 'pending';
}

/** A plan row is done when its run is complete and, for a fold, its out-of-fold predictions exist. */
export function taskDone(row: { runDir: string; fold: number | null }): boolean {
  return runState(row.runDir) === 'complete' && (row.fold === null || fs.existsSync(runFiles.outOfFoldPredictions(row.runDir)));
}
