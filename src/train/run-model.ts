import * as fs from 'fs';
import * as path from 'path';
import { validateConfig } from '../config/load';
import { ExperimentConfig } from '../config/schema';
import { ClassifierModel } from '../models/classifier';
import { createModel } from '../models';
import { UserError } from '../util/errors';
import { checkpointMetadata, loadCheckpointWeights } from './checkpoint';

export interface RunModel {
  config: ExperimentConfig;
  model: ClassifierModel;
  /** The checkpoint directory the weights came from. */
  checkpoint: string;
  /** Its metadata (model, classes, task, image_size, epoch). */
  metadata: Record<string, string>;
  classes: string[];
}

/** The resolved config of a run directory. */
export function readRunConfig(runDir: string): ExperimentConfig {
  const file = path.join(runDir, 'config.json');
  if (!fs.existsSync(file)) throw new UserError(`${runDir} is not a run directory: no config.json`);
  return validateConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

/** Rebuilds a run's model and loads a checkpoint (default best, else last). */
export function loadRunModel(runDir: string, which?: 'best' | 'last'): RunModel {
  const dir = path.resolve(runDir);
  const config = readRunConfig(dir);
  const chosen = which ?? (fs.existsSync(path.join(dir, 'checkpoints', 'best')) ? 'best' : 'last');
  const checkpoint = path.join(dir, 'checkpoints', chosen);
  if (!fs.existsSync(checkpoint)) throw new UserError(`${dir} has no checkpoints/${chosen}: train it first`);
  const metadata = checkpointMetadata(checkpoint);
  const classes = JSON.parse(metadata.classes) as string[];
  const model = createModel(config.model.name, {
    numClasses: classes.length,
    imageSize: config.model.imageSize,
    args: config.model.args,
    initialize: false,
  });
  loadCheckpointWeights(checkpoint, model);
  return { config, model, checkpoint, metadata, classes };
}
