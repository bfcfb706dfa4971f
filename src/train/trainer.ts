import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import { EarlyStoppingConfig, ExperimentConfig, Monitor, PlateauConfig } from '../config/schema';
import { configHash } from '../config/resolve';
import { initBackend, BackendInfo } from '../backend/select';
import { Dataset } from '../data/types';
import { loadDataset } from '../data/sources';
import { SplitIndices, splitDataset, splitsCsv } from '../data/split';
import { ImageBatches, ImageBatchesOptions } from '../data/pipeline';
import { ImageCache } from '../data/image-cache';
import { ClassifierModel, createModel } from '../models';
import { loadWeights } from '../models/load-weights';
import { computeMetrics, MetricsReport } from '../eval/computeMetrics';
import { tuneThresholds } from '../eval/metrics/multilabel';
import { UserError } from '../util/errors';
import { recoverReplacedDir } from '../util/fs';
import { AdamOptimizer } from './optimizer';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau';
import { EarlyStopping } from './early-stopping';
import { LossFn, LossName, lossFunction, resolveLoss } from './losses';
import { paramGroups } from './param-groups';
import { predictBatches, Predictions } from './inference';
import { EpochRecord, TrainerCallback } from './callbacks';
import {
  checkpointMetadata,
  loadCheckpointWeights,
  loadOptimizerState,
  loadTrainerState,
  saveCheckpoint,
  TrainerState,
} from './checkpoint';
import { writeManifest, readManifest, Manifest } from './manifest';
import { hashText } from '../util/hash';
import { packageVersion } from '../util/version';
import { metricsInputFor, writeEvaluation } from './evaluate';
import { TrainStep } from './step';
import { appendEpochRecord, readRunConfig, resetEpochRecords, RunPaths, runPaths, writeRunConfig, writeSplitsCsv } from './run-dir';
import { resolveMicroBatch } from './micro-batch-memory';

export interface TrainOptions {
  /** A resolved config (see resolveConfig). */
  config: ExperimentConfig;
  /** The run directory. */
  outDir: string;
  /** Continue from outDir/checkpoints/last. */
  resume?: boolean;
  callbacks?: TrainerCallback[];
}

export interface TrainResult {
  outDir: string;
  epochsRun: number;
  bestEpoch: number | null;
  bestValue: number | null;
  stoppedEarly: boolean;
  test: MetricsReport | null;
  backend: BackendInfo;
}

export type Phase = 'finetune' | 'linear-probe';

/** The phase an epoch belongs to under a transfer strategy. */
export function phaseOf(config: ExperimentConfig, epoch: number): Phase {
  const { strategy, lpEpochs } = config.train;
  if (strategy === 'linear-probe') return 'linear-probe';
  if (strategy === 'lp-ft' && epoch < lpEpochs) return 'linear-probe';
  return 'finetune';
}

/** The value of a monitored quantity in an epoch record (null when undefined this epoch). */
export function monitorValue(record: EpochRecord, monitor: Monitor): number | null {
  const v = record[monitor];
  if (typeof v === 'number') return v;
  // A binary report's headline AUC is "auc": it is the macro AUC of its two classes.
  if (monitor === 'val_macro_auc' && typeof record.val_auc === 'number') return record.val_auc;
  return null;
}

const isBetter = (mode: 'min' | 'max', a: number, b: number | null): boolean => b === null || (mode === 'max' ? a > b : a < b);

/** ReduceLROnPlateau with the config it was built from (its monitor names the metric it reads). */
interface PlateauPolicy {
  config: PlateauConfig;
  scheduler: ReduceLROnPlateau;
}

interface EarlyStoppingPolicy {
  config: EarlyStoppingConfig;
  stopper: EarlyStopping;
}

/** Everything an opened run holds while its epochs run. */
interface OpenRun {
  config: ExperimentConfig;
  outDir: string;
  paths: RunPaths;
  callbacks: TrainerCallback[];
  say: (line: string) => void;
  backend: BackendInfo;
  dataset: Dataset;
  splits: SplitIndices;
  model: ClassifierModel;
  lossName: LossName;
  lossFn: LossFn;
  batchOptions: Omit<ImageBatchesOptions, 'batchSize'>;
  trainBatches: ImageBatches;
  valBatches: ImageBatches;
  manifest: Manifest;
  optimizer: AdamOptimizer;
  plateau: PlateauPolicy | null;
  earlyStopping: EarlyStoppingPolicy | null;
  state: TrainerState;
  /** Safetensors metadata of every checkpoint this run writes (epoch added per checkpoint). */
  metadata: Record<string, string>;
  /** train.microBatch resolved: images per forward/backward pass */
  microBatch: number;
}

/** Trains one experiment into a run directory; with `resume`, continues it exactly. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const run = await openRun(options);
  const { stoppedEarly } = await fitEpochs(run);
  return finishRun(run, stoppedEarly);
}

/**
 * Opens a run: refuses to overwrite or to resume a different experiment, starts the backend,
 * writes config.json and splits.csv, builds dataset, model and optimizer, writes the manifest,
 * and (resuming) restores weights, optimizer and trainer state from checkpoints/last.
 */
async function openRun(options: TrainOptions): Promise<OpenRun> {
  const { config, outDir } = options;
  const callbacks = options.callbacks ?? [];
  const say = (line: string) => callbacks.forEach((c) => c.onMessage?.(line));
  const paths = runPaths(outDir);
  const hash = configHash(config);

  const resumeState = checkResume(options, paths, hash);

  const backend = await initBackend(config.backend);
  say(backend.message);
  if (!backend.gradients) throw new UserError(`the ${backend.name} backend cannot train here: ${backend.message.replace(/^.*cannot train: /, '')}`);
  fs.mkdirSync(outDir, { recursive: true });
  // What microBatch auto chose when the run started (config.json is rewritten just below).
  const startedMicroBatch = resumeState ? readRunConfig(outDir).train.microBatch : undefined;
  writeRunConfig(outDir, config);

  const dataset = await loadDataset(config.data, { seed: config.seed });
  dataset.warnings.forEach(say);
  const splits = splitDataset(dataset, config.data.split, config.seed);
  const splitsText = splitsCsv(dataset, splits);
  writeSplitsCsv(outDir, splitsText);

  const model = createModel(config.model.name, {
    numClasses: dataset.classes.length,
    imageSize: config.model.imageSize,
    seed: config.seed,
    dropRate: config.model.dropRate,
    dropPathRate: config.model.dropPathRate,
    args: config.model.args,
  });
  if (config.model.pretrained && !resumeState) {
    say(loadWeights(model, config.model.pretrained, { strict: config.model.strict }).message);
  }
  const lossName = resolveLoss(config, dataset);
  const lossFn = lossFunction(lossName, config.train.labelSmoothing);
  // One cache of resized images serves the train, val and test pipelines.
  const batchOptions = {
    imageSize: model.imageSize,
    normalize: config.data.normalize,
    seed: config.seed,
    prefetch: config.data.prefetch,
    skipBadImages: config.data.skipBadImages,
    cache: new ImageCache(),
  };
  const trainBatches = new ImageBatches(dataset, splits.train, {
    ...batchOptions,
    batchSize: config.train.batchSize,
    shuffleSeed: config.seed,
    augment: config.data.augment,
    // A last batch of one image breaks batch norm's statistics; drop short batches only then.
    dropLast: splits.train.length % config.train.batchSize === 1,
  });
  const valBatches = new ImageBatches(dataset, splits.val, { ...batchOptions, batchSize: config.train.batchSize });

  const manifest: Manifest = resumeState ? readManifest(outDir) : newManifest(config, backend, model, dataset, splits, splitsText, lossName);
  if (resumeState) manifest.resumes.push({ at: new Date().toISOString(), fromEpoch: resumeState.epoch });
  writeManifest(outDir, manifest);

  const optimizer = new AdamOptimizer({
    lr: config.train.optimizer.lr,
    betas: config.train.optimizer.betas,
    eps: config.train.optimizer.eps,
    weightDecay: config.train.optimizer.weightDecay,
    decoupled: config.train.optimizer.name === 'adamw',
  });
  const sched = config.train.scheduler;
  const plateau = sched.name === 'plateau' ? { config: sched, scheduler: new ReduceLROnPlateau(sched) } : null;
  const es = config.train.earlyStopping;
  const earlyStopping = es ? { config: es, stopper: new EarlyStopping(es) } : null;
  let state: TrainerState = {
    epoch: 0,
    step: 0,
    lr: config.train.optimizer.lr,
    scheduler: plateau?.scheduler.getState() ?? null,
    earlyStopping: earlyStopping?.stopper.getState() ?? null,
    best: { value: null, epoch: null },
    configHash: hash,
    phase: phaseOf(config, 0),
  };
  if (resumeState) {
    state = resumeState;
    loadCheckpointWeights(paths.last, model);
    loadOptimizerState(paths.last, optimizer);
    if (plateau && state.scheduler) plateau.scheduler.setState(state.scheduler);
    if (earlyStopping && state.earlyStopping) earlyStopping.stopper.setState(state.earlyStopping);
    resetEpochRecords(outDir, state.epoch);
    say(`resuming ${outDir} after epoch ${state.epoch}`);
  } else {
    resetEpochRecords(outDir);
  }

  const metadata = { model: model.modelName, classes: JSON.stringify(dataset.classes), task: dataset.task, image_size: String(model.imageSize) };
  const microBatch = await chooseMicroBatch(config, outDir, startedMicroBatch, model, lossFn, optimizer, dataset.classes.length, say);
  return { config, outDir, paths, callbacks, say, backend, dataset, splits, model, lossName, lossFn, batchOptions, trainBatches, valBatches, manifest, optimizer, plateau, earlyStopping, state, metadata, microBatch };
}

/**
 * train.microBatch as a number. `auto` is measured once and written into config.json's resolved
 * values; a resumed run keeps the value it started with, so that it repeats the same passes.
 */
async function chooseMicroBatch(
  config: ExperimentConfig,
  outDir: string,
  startedWith: number | 'auto' | undefined,
  model: ClassifierModel,
  lossFn: LossFn,
  optimizer: AdamOptimizer,
  numClasses: number,
  say: (line: string) => void,
): Promise<number> {
  const { batchSize, microBatch: setting, memoryLimitMiB } = config.train;
  if (setting === 'auto' && typeof startedWith === 'number') {
    writeRunConfig(outDir, { ...config, train: { ...config.train, microBatch: startedWith } });
    say(`train.microBatch auto: ${startedWith}, as chosen when the run started`);
    return startedWith;
  }
  const entries = paramGroups(model, { classifierOnly: false, layerDecay: config.train.layerDecay });
  const step = new TrainStep({ model, optimizer, lossFn, entries });
  const choice = await resolveMicroBatch({ setting, batchSize, memoryLimitMiB, step, numClasses });
  if (choice.line) say(choice.line);
  if (setting === 'auto') writeRunConfig(outDir, { ...config, train: { ...config.train, microBatch: choice.microBatch } });
  return choice.microBatch;
}

/** The trainer state to continue from (resuming), after the checks that keep a run from being overwritten or mixed. */
function checkResume(options: TrainOptions, paths: RunPaths, hash: string): TrainerState | null {
  const { outDir } = options;
  // A run killed while swapping in a checkpoint still has the previous one: put it back.
  recoverReplacedDir(paths.last);
  recoverReplacedDir(paths.best);
  if (!options.resume) {
    if (fs.existsSync(paths.last)) throw new UserError(`${outDir} already holds a run; add --resume to continue it, or choose another --out`);
    return null;
  }
  if (!fs.existsSync(paths.last)) throw new UserError(`nothing to resume in ${outDir}: no checkpoints/last (start without --resume)`);
  const state = loadTrainerState(paths.last);
  if (state.configHash !== hash) {
    throw new UserError(`${outDir} was trained with a different config; resume with the same config (only train.epochs may change), or use a new --out`);
  }
  return state;
}

function newManifest(
  config: ExperimentConfig,
  backend: BackendInfo,
  model: ClassifierModel,
  dataset: Dataset,
  splits: SplitIndices,
  splitsText: string,
  lossName: LossName,
): Manifest {
  return {
    package: packageVersion(),
    tfjs: tf.version_core,
    backend: backend.name,
    tfBackend: backend.tfBackend,
    seed: config.seed,
    model: { name: model.modelName, params: model.countParams(), config: model.getConfig() },
    dataset: { source: dataset.source, task: dataset.task, classes: dataset.classes, images: dataset.samples.length, hash: hashText(dataset.samples.map((s) => `${s.id}:${s.label ?? s.labels}`).join('\n')) },
    splits: { train: splits.train.length, val: splits.val.length, test: splits.test.length, hash: hashText(splitsText) },
    loss: lossName,
    started: new Date().toISOString(),
    finished: null,
    resumes: [],
    warnings: dataset.warnings,
  };
}

/** The epoch loop: train, validate, then let scheduler, early stopping and checkpointing read the epoch's record. */
async function fitEpochs(run: OpenRun): Promise<{ stoppedEarly: boolean }> {
  const { config, callbacks, model, optimizer, state, dataset } = run;
  callbacks.forEach((c) =>
    c.onTrainBegin?.({
      outDir: run.outDir,
      startEpoch: state.epoch,
      epochs: config.train.epochs,
      trainImages: run.splits.train.length,
      valImages: run.splits.val.length,
      testImages: run.splits.test.length,
      batchesPerEpoch: run.trainBatches.numBatches,
    }),
  );

  let step: TrainStep | null = null;
  let stepPhase: Phase | null = null;
  for (let epoch = state.epoch; epoch < config.train.epochs; epoch++) {
    const phase = phaseOf(config, epoch);
    if (phase !== state.phase) {
      // LP-FT: the fine-tuning phase starts from fresh optimizer moments at a lower rate.
      state.phase = phase;
      state.lr = config.train.optimizer.lr * config.train.ftLrScale;
      optimizer.reset();
      run.plateau?.scheduler.reset();
      run.say(`epoch ${epoch + 1}: linear probing done, fine-tuning every layer at lr ${state.lr}`);
    }
    if (!step || stepPhase !== phase) {
      // Each phase trains its own variables: linear probing the head only.
      const entries = paramGroups(model, { classifierOnly: phase === 'linear-probe', layerDecay: config.train.layerDecay });
      step = new TrainStep({ model, optimizer, lossFn: run.lossFn, entries, microBatch: run.microBatch });
      stepPhase = phase;
    }
    optimizer.lr = state.lr;
    callbacks.forEach((c) => c.onEpochBegin?.(epoch, phase, state.lr));

    const started = Date.now();
    const { lossSum, seen } = await trainEpoch(run, step, epoch, phase);
    const trainSeconds = (Date.now() - started) / 1000;

    const val = await predictBatches(model, run.valBatches, run.lossName);
    const report = computeMetrics(metricsInputFor(dataset, val, config));
    const record = epochRecord(epoch, phase, state.lr, lossSum / Math.max(seen, 1), val, report, (Date.now() - started) / 1000, seen / trainSeconds);
    const { improved, stop, notes } = applyEpochPolicies(run, record, epoch);
    state.epoch = epoch + 1;

    appendEpochRecord(run.outDir, record);
    const metadata = { ...run.metadata, epoch: String(epoch + 1) };
    if (improved) await saveCheckpoint(run.paths.best, model, null, { ...state }, metadata);
    await saveCheckpoint(run.paths.last, model, optimizer, { ...state }, metadata);
    callbacks.forEach((c) => c.onEpochEnd?.(record, report, notes));
    if (stop) return { stoppedEarly: true };
  }
  return { stoppedEarly: false };
}

/** Scheduler, best checkpoint and early stopping, in that order, all reading the same epoch record. */
function applyEpochPolicies(run: OpenRun, record: EpochRecord, epoch: number): { improved: boolean; stop: boolean; notes: string[] } {
  const { config, state, plateau, earlyStopping } = run;
  const notes: string[] = [];
  if (plateau) {
    const { monitor, patience } = plateau.config;
    const m = monitorValue(record, monitor);
    if (m !== null) {
      const next = plateau.scheduler.step(m, state.lr);
      if (next !== state.lr) notes.push(`ReduceLROnPlateau: ${monitor} has not improved for ${patience + 1} epochs; lr ${state.lr} -> ${next}`);
      state.lr = next;
    } else notes.push(`ReduceLROnPlateau: ${monitor} is undefined this epoch; not stepped`);
    state.scheduler = plateau.scheduler.getState();
  }
  const monitored = monitorValue(record, config.train.checkpointMonitor);
  const improved = monitored !== null && isBetter(config.train.checkpointMode, monitored, state.best.value);
  if (improved) state.best = { value: monitored, epoch: epoch + 1 };
  let stop = false;
  if (earlyStopping) {
    const { monitor, patience } = earlyStopping.config;
    const m = monitorValue(record, monitor);
    if (m !== null && earlyStopping.stopper.update(m)) {
      stop = true;
      notes.push(`EarlyStopping: ${monitor} has not improved for ${patience} epochs; stopping`);
    }
    state.earlyStopping = earlyStopping.stopper.getState();
  }
  return { improved, stop, notes };
}

/** Final test evaluation from the best checkpoint, the manifest's closing fields, and clean-up. */
async function finishRun(run: OpenRun, stoppedEarly: boolean): Promise<TrainResult> {
  const { config, dataset, splits, model, state, manifest, paths } = run;
  // Test metrics come from the best checkpoint (by the monitored validation metric).
  let test: MetricsReport | null = null;
  let testSkipped: number[] = [];
  if (splits.test.length > 0) {
    const hasBest = fs.existsSync(paths.best);
    if (hasBest) loadCheckpointWeights(paths.best, model);
    let thresholds: number[] | undefined;
    if (dataset.task === 'multilabel' && config.eval.threshold === 'tune') {
      const val = await predictBatches(model, run.valBatches, run.lossName);
      const tuned = tuneThresholds(val.indices.map((i) => dataset.samples[i].labels!), val.probs, dataset.classes);
      thresholds = tuned.thresholds;
      run.say(`eval.threshold tune: per-label thresholds from validation F1: ${dataset.classes.map((c, j) => `${c} ${thresholds![j].toFixed(3)}`).join(', ')}`);
      tuned.notes.forEach(run.say);
    }
    const testBatches = new ImageBatches(dataset, splits.test, { ...run.batchOptions, batchSize: config.train.batchSize });
    const preds = await predictBatches(model, testBatches, run.lossName);
    testSkipped = [...testBatches.skipped];
    test = await writeEvaluation(run.outDir, `${config.name}: test split`, dataset, preds, config, {
      checkpoint: hasBest ? checkpointMetadata(paths.best) : run.metadata,
      split: 'test',
      metricsJsonl: paths.epochRecords,
      thresholds,
    });
  }
  const skipped = [...new Set([...run.trainBatches.skipped, ...run.valBatches.skipped, ...testSkipped])].map((i) => dataset.samples[i].id);
  if (skipped.length) {
    manifest.skippedImages = skipped;
    run.say(`data.skipBadImages: ${skipped.length} unreadable image(s) left out (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', ...' : ''}); listed in manifest.json`);
  }
  manifest.finished = new Date().toISOString();
  writeManifest(run.outDir, manifest);
  run.optimizer.dispose();
  model.dispose();
  run.callbacks.forEach((c) => c.onTrainEnd?.({ epochsRun: state.epoch, bestEpoch: state.best.epoch, stoppedEarly }));
  return { outDir: run.outDir, epochsRun: state.epoch, bestEpoch: state.best.epoch, bestValue: state.best.value, stoppedEarly, test, backend: run.backend };
}

/** One pass over the training batches, one shared TrainStep per batch. */
async function trainEpoch(run: OpenRun, step: TrainStep, epoch: number, phase: Phase): Promise<{ lossSum: number; seen: number }> {
  const { model, config } = run;
  const imageSize = model.imageSize;
  const numClasses = run.dataset.classes.length;
  const started = Date.now();
  let lossSum = 0;
  let seen = 0;
  let batchIndex = 0;
  // Linear probing keeps the backbone in inference mode (batch-norm statistics frozen).
  model.setTraining(phase === 'finetune');
  for await (const batch of run.trainBatches.epoch(epoch)) {
    const n = batch.size;
    const x = tf.tensor4d(batch.x, [n, imageSize, imageSize, 3]);
    const y = tf.tensor2d(batch.y, [n, numClasses]);
    let loss: number;
    try {
      // Dropout and drop-path masks are keyed by (seed, epoch, batch): a resumed run draws the same ones.
      loss = await step.run({ x, y }, { seed: config.seed, key: `${epoch}:${batchIndex}` });
    } finally {
      tf.dispose([x, y]);
    }
    if (!Number.isFinite(loss)) {
      throw new UserError(`training diverged: loss is ${loss} at epoch ${epoch + 1}, batch ${batchIndex + 1}; lower train.optimizer.lr`);
    }
    lossSum += loss * n;
    seen += n;
    batchIndex += 1;
    run.state.step += 1;
    const elapsed = (Date.now() - started) / 1000;
    run.callbacks.forEach((c) => c.onBatchEnd?.(epoch, batchIndex, { loss: lossSum / seen, imagesPerSecond: seen / Math.max(elapsed, 1e-9) }));
  }
  return { lossSum, seen };
}

function epochRecord(
  epoch: number,
  phase: Phase,
  lr: number,
  trainLoss: number,
  val: Predictions,
  report: MetricsReport,
  seconds: number,
  imagesPerSecond: number,
): EpochRecord {
  const fields: Record<string, unknown> = { epoch: epoch + 1, phase, lr, train_loss: trainLoss, val_loss: val.loss };
  for (const [k, m] of Object.entries(report.headline)) fields[`val_${k}`] = m.value;
  fields.val_auc_per_class = Object.fromEntries(report.perClass.map((c) => [c.class, c.auc.value]));
  // Time fields last: everything before them is reproducible to the bit.
  fields.seconds = round(seconds, 3);
  fields.images_per_s = round(imagesPerSecond, 2);
  return fields as EpochRecord;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
