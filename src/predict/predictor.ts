import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/schema';
import * as tf from '@tensorflow/tfjs-core';
import { BackendInfo, BackendName, initBackend } from '../backend/select';
import { ClassifierModel } from '../models/classifier';
import { Task } from '../data/types';
import { loadModelSource, sourceBackend } from './model-source';
import { LossName, resolveLoss } from '../train/losses';
import { CheckpointName, isRunDir, RUN_FILES } from '../train/run-dir';
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
  /** Checkpoint directory (or export) the weights came from. */
  checkpoint: string;
  /** Set for exports run by another runtime (ONNX Runtime): the logits of a normalised batch. */
  forwardAsync?: (x: tf.Tensor4D) => Promise<tf.Tensor2D>;
  /** Why heatmaps cannot be drawn (exports hold no feature maps or gradients); absent when they can. */
  noHeatmaps?: string;
  /** Its metadata (model, classes, task, image_size, epoch). */
  metadata: Record<string, string>;
  /** Multi-label decision thresholds (one per class): tuned on validation when the run did, else eval.threshold. */
  thresholds: number[] | null;
  backend: BackendInfo;
}

export interface LoadPredictorOptions {
  /** A run directory: its best checkpoint (else last) is used. */
  run?: string;
  /** A checkpoint directory (anywhere), or an export: model.safetensors, a tfjs GraphModel folder, a .onnx file. */
  checkpoint?: string;
  /** With `run`: which checkpoint (default best, else last). */
  which?: CheckpointName;
  /** Backend to run on (default: the run's own `backend`). */
  backend?: BackendName;
}

/**
 * Loads a model once, on the run's backend: a run directory (`run`), or with `checkpoint` any other form of
 * it (a checkpoint directory anywhere, a safetensors, tfjs or ONNX export; see model-source.ts).
 */
export async function loadPredictor(options: LoadPredictorOptions): Promise<Predictor> {
  if (options.run && options.checkpoint) throw new UserError('give --run or --checkpoint, not both');
  const source = options.run ?? options.checkpoint;
  if (!source) throw new UserError('say which model to use: --run DIR or --checkpoint DIR');
  if (options.run) {
    const runDir = path.resolve(options.run);
    if (!fs.existsSync(runDir)) throw new UserError(`run directory not found: ${runDir}`);
    if (!isRunDir(runDir)) throw new UserError(`${runDir} is not a run directory: no ${RUN_FILES.config}`);
  }
  const backend = await initBackend(options.backend ?? sourceBackend(source, options.which));
  const loaded = await loadModelSource(source, options.which);
  const { config, bundle } = loaded;
  return {
    model: loaded.model,
    forwardAsync: loaded.forwardAsync,
    noHeatmaps:
      loaded.kind === 'tfjs-graph' || loaded.kind === 'onnx'
        ? `heatmaps need the model itself, not a ${loaded.kind} export: use a run directory, a checkpoint or a safetensors export`
        : undefined,
    config,
    classes: bundle.classes,
    task: bundle.task,
    loss: resolveLoss(config, { task: bundle.task }),
    checkpoint: loaded.location,
    metadata: bundle.metadata,
    thresholds: bundle.task === 'multilabel' ? bundle.thresholds : null,
    backend,
  };
}
