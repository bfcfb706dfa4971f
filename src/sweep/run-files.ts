import * as fs from 'fs';
import * as path from 'path';

/**
 * The files of a run directory the sweep reads (README, "The run directory"), in one place so
 * the names are not spread over the executors and the aggregate.
 */
export const runFiles = {
  metrics: (runDir: string) => path.join(runDir, 'metrics.json'),
  manifest: (runDir: string) => path.join(runDir, 'manifest.json'),
  predictions: (runDir: string) => path.join(runDir, 'predictions.csv'),
  epochs: (runDir: string) => path.join(runDir, 'metrics.jsonl'),
  lastCheckpoint: (runDir: string) => path.join(runDir, 'checkpoints', 'last'),
  /** The fold model's predictions on its own validation fold: the out-of-fold predictions. */
  outOfFoldDir: (runDir: string) => path.join(runDir, 'eval-val'),
  outOfFoldPredictions: (runDir: string) => path.join(runDir, 'eval-val', 'predictions.csv'),
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
