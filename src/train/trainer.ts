import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import { EarlyStoppingConfig, ExperimentConfig } from '../config/schema';
import { configHash } from '../config/resolve';
import { initBackend, BackendInfo } from '../backend/select';
import { nativeModule } from '../backend/wasm/native/module';
import { Dataset } from '../data/types';
import { loadDataset } from '../data/sources';
import { SplitIndices, splitDataset, splitsCsv } from '../data/split';
import { ImageBatches, ImageBatchesOptions } from '../data/pipeline';
import { ImageCache } from '../data/image-cache';
import { ClassifierModel, createModel } from '../models';
import { loadWeights } from '../models/load-weights';
import { bundleMetadata } from '../models/bundle';
import { computeMetrics, MetricsReport } from '../eval/compute-metrics';
import { tuneThresholds } from '../eval/metrics/multilabel';
import { monitorValue } from '../eval/monitors';
import { checkMonitorsForTask } from '../config/monitors';
import { positiveClassOf } from '../data/positive-class';
import { UserError } from '../util/errors';
import { makeDirs, recoverReplacedDir } from '../util/fs';
import { AdamOptimizer } from './optimizer';
import { createSchedule, LrSchedule } from './schedulers';
import { ModelEma } from './ema';
import { trainingLoss } from './recipe-loss';
import { balancedSampleWeights } from '../data/sampler';
import { applyMixPlan, drawMixPlan } from '../data/mixup';
import { Rng } from '../util/random';
import { EarlyStopping } from './early-stopping';
import { LossFn, LossName, resolveLoss } from './losses';
import { paramGroups } from './param-groups';
import { predictBatches, Predictions } from './inference';
import { EpochRecord, TrainerCallback } from './callbacks';
import {
  checkpointMetadata,
  loadCheckpointWeights,
  loadOptimizerState,
  loadEmaState,
  loadTrainerState,
  saveCheckpoint,
  TrainerState,
} from './checkpoint';
import { writeManifest, readManifest, Manifest } from './manifest';
import { hashText } from '../util/hash';
import { packageVersion } from '../util/version';
import { metricsInputFor, writeEvaluation } from './evaluate';
import { TrainStep } from './step';
import { trackFreshRun } from './fresh-run';
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

const isBetter = (mode: 'min' | 'max', a: number, b: number | null): boolean => b === null || (mode === 'max' ? a > b : a < b);

/** The learning-rate schedule of the current phase (LP-FT's fine-tuning phase gets a fresh one over its own epochs). */
interface SchedulePolicy {
  schedule: LrSchedule;
  /** First epoch of the phase the schedule spans. */
  startEpoch: number;
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
  schedule: SchedulePolicy;
  /** EMA of the weights (train.ema), or null. */
  ema: ModelEma | null;
  earlyStopping: EarlyStoppingPolicy | null;
  state: TrainerState;
  /** Safetensors metadata of every checkpoint this run writes (epoch added per checkpoint). */
  metadata: Record<string, string>;
  /** train.microBatch resolved: images per forward/backward pass */
  microBatch: number;
}

/** Trains one experiment into a run directory; with `resume`, continues it exactly. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  // A fresh run that fails before its first checkpoint leaves nothing that looks like a run.
  const fresh = options.resume ? null : trackFreshRun(options.outDir);
  try {
    const run = await openRun(options);
    const { stoppedEarly } = await fitEpochs(run);
    return await finishRun(run, stoppedEarly);
  } catch (e) {
    fresh?.discard();
    throw e;
  }
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
  makeDirs(outDir);
  // What microBatch auto chose when the run started (config.json is rewritten just below).
  const startedMicroBatch = resumeState ? readRunConfig(outDir).train.microBatch : undefined;
  writeRunConfig(outDir, config);

  const dataset = await loadDataset(config.data, { seed: config.seed });
  checkMonitorsForTask(config, dataset.task);
  const positive = positiveClassOf(dataset, config.data.positiveClass);
  if (positive) say(`positive class: ${positive.name} (${positive.reason})`);
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
    checkpointActivations: config.model.checkpointActivations,
  });
  if (config.model.pretrained && !resumeState) {
    say(loadWeights(model, config.model.pretrained, { strict: config.model.strict }).message);
  }
  const lossName = resolveLoss(config, dataset);
  const lossFn = trainingLoss(config, lossName, dataset, splits.train);
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
    sampleWeights: config.data.sampler === 'balanced' ? balancedSampleWeights(dataset, splits.train) : undefined,
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
  const schedule = phaseSchedule(config, trainBatches.numBatches, resumeState ? resumeState.phase : phaseOf(config, 0));
  const es = config.train.earlyStopping;
  const earlyStopping = es ? { config: es, stopper: new EarlyStopping(es) } : null;
  let state: TrainerState = {
    epoch: 0,
    step: 0,
    lr: config.train.optimizer.lr,
    scheduler: schedule.schedule.getState(),
    earlyStopping: earlyStopping?.stopper.getState() ?? null,
    best: { value: null, epoch: null },
    configHash: hash,
    phase: phaseOf(config, 0),
  };
  if (resumeState) {
    state = resumeState;
    loadCheckpointWeights(paths.last, model);
    loadOptimizerState(paths.last, optimizer);
    if (state.scheduler) schedule.schedule.setState(state.scheduler, state.lr);
    if (earlyStopping && state.earlyStopping) earlyStopping.stopper.setState(state.earlyStopping);
    resetEpochRecords(outDir, state.epoch);
    say(`resuming ${outDir} after epoch ${state.epoch}`);
  } else {
    resetEpochRecords(outDir);
  }

  // The average starts from the weights training starts from (pretrained ones included); a resumed run restores it.
  const ema = config.train.ema ? new ModelEma(model.namedVariables(), config.train.ema) : null;
  if (ema && resumeState) loadEmaState(paths.last, ema);

  const metadata = bundleMetadata(model, config, dataset, configHash(config));
  const microBatch = await chooseMicroBatch(config, outDir, startedMicroBatch, model, lossFn, optimizer, dataset.classes.length, say);
  return {
    config,
    outDir,
    paths,
    callbacks,
    say,
    backend,
    dataset,
    splits,
    model,
    lossName,
    lossFn,
    batchOptions,
    trainBatches,
    valBatches,
    manifest,
    optimizer,
    schedule,
    ema,
    earlyStopping,
    state,
    metadata,
    microBatch,
  };
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
    throw new UserError(
      `${outDir} was trained with a different config; resume with the same config (only train.epochs may change), or use a new --out`,
    );
  }
  // Refused before anything is written: config.json keeps the epoch count the run was trained with.
  const epochs = options.config.train.epochs;
  if (epochs < state.epoch) {
    throw new UserError(
      `${outDir} has already trained ${state.epoch} epochs, more than train.epochs ${epochs}: nothing to resume; raise train.epochs to continue it`,
    );
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
    ...(backend.name === 'wasm' ? { wasm: { fma: nativeModule(tf.backend())?.fma ?? false } } : {}),
    seed: config.seed,
    model: { name: model.modelName, params: model.countParams(), config: model.getConfig() },
    dataset: {
      source: dataset.source,
      task: dataset.task,
      classes: dataset.classes,
      images: dataset.samples.length,
      hash: hashText(dataset.samples.map((s) => `${s.id}:${s.label ?? s.labels}`).join('\n')),
    },
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
      run.schedule = phaseSchedule(config, run.trainBatches.numBatches, phase);
      state.scheduler = run.schedule.schedule.getState();
      run.say(`epoch ${epoch + 1}: linear probing done, fine-tuning every layer at lr ${state.lr}`);
    }
    if (!step || stepPhase !== phase) {
      // Each phase trains its own variables: linear probing the head only.
      const entries = paramGroups(model, { classifierOnly: phase === 'linear-probe', layerDecay: config.train.layerDecay });
      step = new TrainStep({ model, optimizer, lossFn: run.lossFn, entries, clipGrad: config.train.clipGrad, microBatch: run.microBatch });
      stepPhase = phase;
    }
    state.lr = lrAt(run, epoch, state.step);
    callbacks.forEach((c) => c.onEpochBegin?.(epoch, phase, state.lr));

    const started = Date.now();
    const { lossSum, seen, lrFirst, lrLast } = await trainEpoch(run, step, epoch, phase);
    const trainSeconds = (Date.now() - started) / 1000;

    const val = await predictBatches(model, run.valBatches, run.lossName);
    const report = computeMetrics(metricsInputFor(dataset, val, config));
    const record = epochRecord(epoch, phase, lrFirst, lossSum / Math.max(seen, 1), val, report, (Date.now() - started) / 1000, seen / trainSeconds);
    if (run.schedule.schedule.perStep) Object.assign(record, { lr_first: lrFirst, lr_last: lrLast });
    if (run.ema) {
      // The EMA model validated on the same batches: val_ema_loss, val_ema_<metric>, val_ema_auc_per_class.
      const emaVal = await run.ema.withAveraged(() => predictBatches(model, run.valBatches, run.lossName));
      Object.assign(record, emaFields(epochRecord(epoch, phase, lrFirst, 0, emaVal, computeMetrics(metricsInputFor(dataset, emaVal, config)), 0, 0)));
    }
    moveTimeFieldsLast(record);
    const { improved, stop, notes } = applyEpochPolicies(run, record, epoch);
    state.epoch = epoch + 1;

    appendEpochRecord(run.outDir, record);
    const metadata = { ...run.metadata, epoch: String(epoch + 1) };
    const selectEma = run.ema !== null && config.train.ema?.selectBest === 'ema';
    if (improved && selectEma)
      await run.ema!.withAveraged(() => saveCheckpoint(run.paths.best, model, null, { ...state }, { ...metadata, weights: 'ema' }));
    else if (improved) await saveCheckpoint(run.paths.best, model, null, { ...state }, metadata);
    await saveCheckpoint(run.paths.last, model, optimizer, { ...state }, metadata, run.ema);
    callbacks.forEach((c) => c.onEpochEnd?.(record, report, notes));
    if (stop) return { stoppedEarly: true };
  }
  return { stoppedEarly: false };
}

/** Scheduler, best checkpoint and early stopping, in that order, all reading the same epoch record. */
function applyEpochPolicies(run: OpenRun, epochRecord: EpochRecord, epoch: number): { improved: boolean; stop: boolean; notes: string[] } {
  const { config, state, earlyStopping } = run;
  const notes: string[] = [];
  // With train.ema.selectBest ema every policy reads the EMA model's metrics, as timm's train.py does.
  const record = run.ema && config.train.ema?.selectBest === 'ema' ? emaView(epochRecord) : epochRecord;
  const sched = config.train.scheduler;
  if (sched.name === 'plateau') {
    const m = monitorValue(record, sched.monitor, config);
    if (m !== null) {
      const note = run.schedule.schedule.epochEnd(m);
      if (note) notes.push(note);
    } else notes.push(`ReduceLROnPlateau: ${sched.monitor} is undefined this epoch; not stepped`);
  }
  state.scheduler = run.schedule.schedule.getState();
  const monitored = monitorValue(record, config.train.checkpointMonitor, config);
  const improved = monitored !== null && isBetter(config.train.checkpointMode, monitored, state.best.value);
  if (improved) state.best = { value: monitored, epoch: epoch + 1 };
  let stop = false;
  if (earlyStopping) {
    const { monitor, patience } = earlyStopping.config;
    const m = monitorValue(record, monitor, config);
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
      const tuned = tuneThresholds(
        val.indices.map((i) => dataset.samples[i].labels!),
        val.probs,
        dataset.classes,
      );
      thresholds = tuned.thresholds;
      run.say(
        `eval.threshold tune: per-label thresholds from validation F1: ${dataset.classes.map((c, j) => `${c} ${thresholds![j].toFixed(3)}`).join(', ')}`,
      );
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
    run.say(
      `data.skipBadImages: ${skipped.length} unreadable image(s) left out (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', ...' : ''}); listed in manifest.json`,
    );
  }
  manifest.finished = new Date().toISOString();
  writeManifest(run.outDir, manifest);
  run.optimizer.dispose();
  run.ema?.dispose();
  model.dispose();
  run.callbacks.forEach((c) => c.onTrainEnd?.({ epochsRun: state.epoch, bestEpoch: state.best.epoch, stoppedEarly }));
  return {
    outDir: run.outDir,
    epochsRun: state.epoch,
    bestEpoch: state.best.epoch,
    bestValue: state.best.value,
    stoppedEarly,
    test,
    backend: run.backend,
  };
}

/** One pass over the training batches, one shared TrainStep per batch. */
async function trainEpoch(
  run: OpenRun,
  step: TrainStep,
  epoch: number,
  phase: Phase,
): Promise<{ lossSum: number; seen: number; lrFirst: number; lrLast: number }> {
  const { model, config } = run;
  const imageSize = model.imageSize;
  const numClasses = run.dataset.classes.length;
  const started = Date.now();
  let lossSum = 0;
  let seen = 0;
  let batchIndex = 0;
  let lrFirst = lrAt(run, epoch, run.state.step);
  let lrLast = lrFirst;
  const mixup = phase === 'finetune' ? config.data.mixup : null;
  const multilabel = run.dataset.task === 'multilabel';
  // Linear probing keeps the backbone in inference mode (batch-norm statistics frozen).
  model.setTraining(phase === 'finetune');
  for await (const batch of run.trainBatches.epoch(epoch)) {
    const n = batch.size;
    let targets = batch.y;
    if (mixup) {
      // Mixing draws are keyed by (seed, epoch, batch) like every other augmentation: resume mixes the same.
      const plan = drawMixPlan(mixup, n, imageSize, imageSize, Rng.create(config.seed, `augment-mix:${epoch}:${batchIndex}`));
      targets = applyMixPlan(batch.x, batch.y, n, imageSize, imageSize, plan, mixup.labelSmoothing, multilabel);
    }
    const lr = lrAt(run, epoch, run.state.step);
    if (batchIndex === 0) lrFirst = lr;
    lrLast = lr;
    run.optimizer.lr = lr;
    const x = tf.tensor4d(batch.x, [n, imageSize, imageSize, 3]);
    const y = tf.tensor2d(targets, [n, numClasses]);
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
    run.ema?.update(run.state.step);
    const elapsed = (Date.now() - started) / 1000;
    run.callbacks.forEach((c) => c.onBatchEnd?.(epoch, batchIndex, { loss: lossSum / seen, imagesPerSecond: seen / Math.max(elapsed, 1e-9) }));
  }
  run.state.lr = lrLast;
  return { lossSum, seen, lrFirst, lrLast };
}

/** The schedule for the phase that `phase` starts: LP-FT's fine-tuning gets its own over its own epochs at lr·ftLrScale. */
function phaseSchedule(config: ExperimentConfig, stepsPerEpoch: number, phase: Phase): SchedulePolicy {
  const { strategy, lpEpochs, epochs, ftLrScale, optimizer } = config.train;
  const lpft = strategy === 'lp-ft';
  const startEpoch = lpft && phase === 'finetune' ? lpEpochs : 0;
  const span = lpft ? (phase === 'finetune' ? epochs - lpEpochs : lpEpochs) : epochs;
  const lr = lpft && phase === 'finetune' ? optimizer.lr * ftLrScale : optimizer.lr;
  return { schedule: createSchedule(config.train.scheduler, { lr, epochs: Math.max(1, span), stepsPerEpoch }), startEpoch };
}

/** The learning rate of the update about to run, counted from the start of the schedule's phase. */
function lrAt(run: OpenRun, epoch: number, globalStep: number): number {
  const { schedule, startEpoch } = run.schedule;
  return schedule.lrAt({ epoch: epoch - startEpoch, step: globalStep - startEpoch * run.trainBatches.numBatches });
}

/** The EMA model's validation fields, renamed val_* -> val_ema_*. */
function emaFields(record: EpochRecord): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record)
      .filter(([k]) => k.startsWith('val_'))
      .map(([k, v]) => [`val_ema_${k.slice(4)}`, v]),
  );
}

/** A record in which val_* are the EMA model's values, for the policies that select on the EMA. */
function emaView(record: EpochRecord): EpochRecord {
  const view: Record<string, unknown> = { ...record };
  for (const [k, v] of Object.entries(record)) if (k.startsWith('val_ema_')) view[`val_${k.slice(8)}`] = v;
  return view as EpochRecord;
}

/** seconds and images_per_s stay the last fields of a record: everything before them is reproducible to the bit. */
function moveTimeFieldsLast(record: EpochRecord): void {
  const r = record as Record<string, unknown>;
  for (const k of ['seconds', 'images_per_s']) {
    const v = r[k];
    delete r[k];
    r[k] = v;
  }
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
