import * as path from 'path';
import { ExperimentConfig } from '../config/schema';
import { ClassifierModel } from '../models/classifier';
import { createModel } from '../models';
import { UserError } from '../util/errors';
import { Task } from '../data/types';
import { checkpointMetadata, loadCheckpointWeights, MODEL_FILE } from './checkpoint';
import { CheckpointName, readRunConfig, runCheckpointDir, runPaths } from './run-dir';

export interface RunModel {
  config: ExperimentConfig;
  model: ClassifierModel;
  /** The checkpoint directory the weights came from. */
  checkpoint: string;
  /** Its metadata (model, classes, task, image_size, epoch). */
  metadata: Record<string, string>;
  classes: string[];
  task: Task;
}

// Kept here too for the callers that rebuild a run's model.
export { readRunConfig };

/** Rebuilds a run's model and loads a checkpoint (default best, else last). */
export function loadRunModel(runDir: string, which?: CheckpointName): RunModel {
  const dir = path.resolve(runDir);
  return loadCheckpointModel(dir, runCheckpointDir(dir, which));
}

const TASKS: readonly Task[] = ['binary', 'multiclass', 'multilabel'];

/** Rebuilds the model of a run from one of its checkpoint directories, checking that the two belong together. */
export function loadCheckpointModel(runDir: string, checkpoint: string): RunModel {
  const config = readRunConfig(runDir);
  const weights = path.join(checkpoint, MODEL_FILE);
  const metadata = checkpointMetadata(checkpoint);
  let classes: string[];
  try {
    classes = JSON.parse(metadata.classes) as string[];
  } catch {
    throw new UserError(`${weights} has no class list in its metadata: it was not written by fundus-train train`);
  }
  const task = metadata.task as Task;
  if (!TASKS.includes(task)) throw new UserError(`${weights}: unknown task '${metadata.task}' in its metadata`);
  if (metadata.model && metadata.model !== config.model.name) {
    throw new UserError(
      `${checkpoint} holds a ${metadata.model} but ${runPaths(runDir).config} describes a ${config.model.name}: use the checkpoint's own run directory`,
    );
  }
  const model = createModel(config.model.name, {
    numClasses: classes.length,
    imageSize: config.model.imageSize,
    args: config.model.args,
    initialize: false,
  });
  loadCheckpointWeights(checkpoint, model);
  model.setTraining(false);
  return { config, model, checkpoint, metadata, classes, task };
}
