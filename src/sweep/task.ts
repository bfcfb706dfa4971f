import * as fs from 'fs';
import { resolveConfig } from '../config/resolve';
import { train } from '../train/trainer';
import { evaluate } from '../train/evaluate';
import type { TrainerCallback } from '../train/callbacks';
import { UserError } from '../util/errors';
import { readPlan, PlanRow } from './plan';
import { runFiles, runState, taskDone } from './run-files';

export interface TaskResult {
  row: PlanRow;
  /** What this call did: skipped (already done), trained from scratch, resumed, or only scored the fold. */
  action: 'skipped' | 'trained' | 'resumed' | 'scored';
}

/**
 * Runs one row of a study's plan in this process, whatever started it (the local executor, a
 * SLURM array task, a Kubernetes index): skips a finished run, resumes an interrupted one from
 * checkpoints/last, trains a new one; then, for a fold, predicts the fold's validation images
 * (the out-of-fold predictions the aggregate pools).
 */
export async function runTask(studyDir: string, index: number, callbacks: TrainerCallback[] = []): Promise<TaskResult> {
  const plan = readPlan(studyDir);
  const row = plan.rows[index];
  if (!row) throw new UserError(`${studyDir}: the plan has no task ${index} (it has 0 to ${plan.rows.length - 1})`);
  if (taskDone(row)) return { row, action: 'skipped' };
  const state = runState(row.runDir);
  let action: TaskResult['action'] = 'scored';
  if (state !== 'complete') {
    const { config, outDir } = resolveConfig(row.config, [], row.runDir);
    await train({ config, outDir, resume: state === 'interrupted', callbacks });
    action = state === 'interrupted' ? 'resumed' : 'trained';
  }
  if (row.fold !== null && !fs.existsSync(runFiles.outOfFoldPredictions(row.runDir))) {
    // No bootstrap: the aggregate computes intervals on the pooled folds, not on one.
    await evaluate({ runDir: row.runDir, split: 'val', out: runFiles.outOfFoldDir(row.runDir), bootstrap: 0 });
  }
  return { row, action };
}
