import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../util/errors';
import { replaceDirAtomic, writeJsonAtomic } from '../util/fs';
import { ClassifierModel } from '../models/classifier';
import { applyStateDict, exportStateDict } from '../models/state';
import { readSafetensors, readSafetensorsMetadata, writeSafetensors } from '../models/weights/safetensors';
import { StateDict } from '../models/weights/tensor';
import { AdamOptimizer } from './optimizer';
import { CHECKPOINT_FILES } from './run-dir';
import type { ScheduleState } from './schedulers';
import type { ModelEma } from './ema';
import * as tf from '@tensorflow/tfjs-core';
import type { EarlyStoppingState } from './early-stopping';

/** Everything besides weights that a resumed run needs to continue exactly. */
export interface TrainerState {
  /** Epochs completed (the next epoch to run is this number). */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  lr: number;
  /** The learning-rate schedule's state (plateau: its counters and rate; closed-form schedules: none). */
  scheduler: ScheduleState | null;
  /** EarlyStopping's counters (null without early stopping). */
  earlyStopping: EarlyStoppingState | null;
  /** Best value of the checkpoint monitor so far, and its epoch. */
  best: { value: number | null; epoch: number | null };
  /** Hash of the resolved config, to refuse resuming a different experiment. */
  configHash: string;
  /** Training phase of the last epoch (linear-probe or finetune). */
  phase: 'finetune' | 'linear-probe';
}

export const MODEL_FILE = CHECKPOINT_FILES.model;
export const OPTIMIZER_FILE = CHECKPOINT_FILES.optimizer;
export const TRAINER_FILE = CHECKPOINT_FILES.trainer;
/** The EMA's tensors in checkpoints/last (our layout, by parameter name), for exact resume. */
export const EMA_FILE = 'ema.safetensors';

/** JSON cannot hold ±Infinity; the scheduler's initial "best" is one. */
export function encodeNumbers(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v)));
}

export function decodeNumbers<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value), (_k, v) => (v && typeof v === 'object' && '$number' in v ? Number(v.$number) : v)) as T;
}

/**
 * Writes a checkpoint directory (model weights under timm names in PyTorch layout, optimizer
 * moments, trainer state) beside its final place and renames it in, so a killed run always
 * leaves the previous complete checkpoint.
 */
export async function saveCheckpoint(
  dir: string,
  model: ClassifierModel,
  optimizer: AdamOptimizer | null,
  state: TrainerState | null,
  metadata: Record<string, string>,
  ema: ModelEma | null = null,
): Promise<void> {
  const weights = await exportStateDict(model);
  const opt = optimizer ? await optimizer.getState() : null;
  const emaDict: StateDict | null = ema ? new Map() : null;
  if (ema && emaDict) {
    for (const [name, t] of ema.tensors()) emaDict.set(name, { dtype: 'float32', shape: t.shape, data: (await t.data()) as Float32Array });
  }
  replaceDirAtomic(dir, (tmp) => {
    writeSafetensors(path.join(tmp, MODEL_FILE), weights, { format: 'pt', ...metadata });
    if (opt) {
      const dict: StateDict = new Map();
      for (const [k, t] of opt.tensors) dict.set(k, { dtype: 'float32', shape: t.shape, data: t.data });
      writeSafetensors(path.join(tmp, OPTIMIZER_FILE), dict, { step: String(opt.step), lr: String(opt.lr) });
    }
    if (ema && emaDict) writeSafetensors(path.join(tmp, EMA_FILE), emaDict, { step: String(ema.getState().step) });
    if (state) writeJsonAtomic(path.join(tmp, TRAINER_FILE), encodeNumbers(state));
  });
}

/** Loads a checkpoint's weights into the model (every tensor must match). */
export function loadCheckpointWeights(dir: string, model: ClassifierModel): void {
  const file = path.join(dir, MODEL_FILE);
  if (!fs.existsSync(file)) throw new UserError(`no checkpoint weights at ${file}`);
  applyStateDict(model, readSafetensors(file), { strict: true, source: file });
}

export function checkpointMetadata(dir: string): Record<string, string> {
  return readSafetensorsMetadata(path.join(dir, MODEL_FILE));
}

export function loadOptimizerState(dir: string, optimizer: AdamOptimizer): void {
  const file = path.join(dir, OPTIMIZER_FILE);
  if (!fs.existsSync(file)) throw new UserError(`no optimizer state at ${file}: cannot resume exactly`);
  const meta = readSafetensorsMetadata(file);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, t] of readSafetensors(file)) tensors.set(k, { shape: t.shape, data: t.data as Float32Array });
  optimizer.setState({ step: Number(meta.step), lr: Number(meta.lr), tensors });
}

export function loadTrainerState(dir: string): TrainerState {
  const file = path.join(dir, TRAINER_FILE);
  if (!fs.existsSync(file)) throw new UserError(`no trainer state at ${file}: cannot resume`);
  return decodeNumbers<TrainerState>(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** Restores the EMA from checkpoints/last (bit for bit: float32 in, float32 out). */
export function loadEmaState(dir: string, ema: ModelEma): void {
  const file = path.join(dir, EMA_FILE);
  if (!fs.existsSync(file)) throw new UserError(`no EMA state at ${file}: the run was started without train.ema; resume with the same config`);
  const tensors = new Map<string, tf.Tensor>();
  for (const [k, t] of readSafetensors(file)) tensors.set(k, tf.tensor(t.data as Float32Array, t.shape, 'float32'));
  try {
    ema.setState({ step: Number(readSafetensorsMetadata(file).step) }, tensors);
  } finally {
    tf.dispose([...tensors.values()]);
  }
}
