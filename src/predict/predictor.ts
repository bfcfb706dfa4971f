import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/schema';
import { BackendInfo, BackendName, initBackend } from '../backend/select';
import { ClassifierModel } from '../models/classifier';
import { Task } from '../data/types';
import { loadCheckpointModel } from '../train/run-model';
import { MODEL_FILE } from '../train/checkpoint';
import { LossName, resolveLoss } from '../train/losses';
import { CheckpointName, isRunDir, readRunConfig, readTunedThresholds, RUN_FILES, runCheckpointDir } from '../train/run-dir';
import { UserError } from '../util/errors';

/** A trained model ready to predict, with everything needed to prepare its input as training did. */
export interface Predictor {
  model: ClassifierModel;
  /** The run's resolved config: preprocessing, normalisation and the eval settings come from here. */
  config: ExperimentConfig;
  classes: string[];
  task: Task;
  /** How logits become probabilities: 'bce' = sigmoid per label, else softmax. */
  loss: LossName;
  /** Checkpoint directory the weights came from. */
  checkpoint: string;
  /** Its metadata (model, classes, task, image_size, epoch). */
  metadata: Record<string, string>;
  /** Multi-label decision thresholds (one per class): tuned on validation when the run did, else eval.threshold. */
  thresholds: number[] | null;
  backend: BackendInfo;
}

export interface LoadPredictorOptions {
  /** A run directory: its best checkpoint (else last) is used. */
  run?: string;
  /** A checkpoint directory (<run>/checkpoints/best), or its model.safetensors; the run's config.json is found two folders up. */
  checkpoint?: string;
  /** With `run`: which checkpoint (default best, else last). */
  which?: CheckpointName;
  /** Backend to run on (default: the run's own `backend`). */
  backend?: BackendName;
}


/** The checkpoint directory and run directory named by the options. */
function locate(options: LoadPredictorOptions): { checkpoint: string; runDir: string } {
  if (options.run && options.checkpoint) throw new UserError('give --run or --checkpoint, not both');
  if (options.run) {
    const runDir = path.resolve(options.run);
    if (!fs.existsSync(runDir)) throw new UserError(`run directory not found: ${runDir}`);
    if (!isRunDir(runDir)) throw new UserError(`${runDir} is not a run directory: no ${RUN_FILES.config}`);
    return { checkpoint: runCheckpointDir(runDir, options.which), runDir };
  }
  if (options.checkpoint) {
    let checkpoint = path.resolve(options.checkpoint);
    if (!fs.existsSync(checkpoint)) throw new UserError(`checkpoint not found: ${checkpoint}`);
    if (fs.statSync(checkpoint).isFile()) checkpoint = path.dirname(checkpoint);
    if (!fs.existsSync(path.join(checkpoint, MODEL_FILE))) throw new UserError(`${checkpoint} is not a checkpoint directory: no ${MODEL_FILE}`);
    // The architecture's arguments and the preprocessing live in the run's config.json, not in the weights.
    const candidates = [checkpoint, path.dirname(checkpoint), path.dirname(path.dirname(checkpoint))];
    const runDir = candidates.find(isRunDir);
    if (!runDir) {
      throw new UserError(`no ${RUN_FILES.config} found for checkpoint ${checkpoint} (looked in it and two folders up): keep the checkpoint inside its run directory, or use --run`);
    }
    return { checkpoint, runDir };
  }
  throw new UserError('say which model to use: --run DIR or --checkpoint DIR');
}

/** Multi-label thresholds: tuned on validation (kept in the run's metrics.json) when eval.threshold is 'tune'. */
function multilabelThresholds(config: ExperimentConfig, runDir: string, classes: number): number[] {
  if (config.eval.threshold !== 'tune') return new Array<number>(classes).fill(config.eval.threshold);
  const tuned = readTunedThresholds(runDir);
  return tuned && tuned.length === classes ? tuned : new Array<number>(classes).fill(0.5);
}

/** Loads a run's (or a checkpoint's) model once, on the run's backend. */
export async function loadPredictor(options: LoadPredictorOptions): Promise<Predictor> {
  const { checkpoint, runDir } = locate(options);
  const backend = await initBackend(options.backend ?? readRunConfig(runDir).backend);
  const { config, model, classes, task, metadata } = loadCheckpointModel(runDir, checkpoint);
  return {
    model,
    config,
    classes,
    task,
    loss: resolveLoss(config, { task }),
    checkpoint,
    metadata,
    thresholds: task === 'multilabel' ? multilabelThresholds(config, runDir, classes.length) : null,
    backend,
  };
}
