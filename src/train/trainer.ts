import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { ExperimentConfig, Monitor } from '../config/schema';
import { configHash } from '../config/resolve';
import { initBackend, BackendInfo } from '../backend/select';
import { Dataset } from '../data/types';
import { loadDataset } from '../data/sources';
import { splitDataset, splitsCsv } from '../data/split';
import { ImageBatches } from '../data/pipeline';
import { ImageCache } from '../data/image-cache';
import { ClassifierModel, createModel } from '../models';
import { loadWeights } from '../models/load-weights';
import { bundleMetadata } from '../models/bundle';
import { withStochasticContext } from '../models/layers/stochastic';
import { computeMetrics, MetricsReport } from '../eval/computeMetrics';
import { tuneThresholds } from '../eval/metrics/multilabel';
import { UserError } from '../util/errors';
import { recoverReplacedDir, writeFileAtomic, writeJsonAtomic } from '../util/fs';
import { AdamOptimizer, ParamGroupEntry } from './optimizer';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau';
import { EarlyStopping } from './early-stopping';
import { LossName, lossFunction } from './losses';
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

export function resolveLoss(config: ExperimentConfig, dataset: Pick<Dataset, 'task'>): LossName {
  if (config.train.loss !== 'auto') return config.train.loss;
  return dataset.task === 'multilabel' ? 'bce' : 'cross-entropy';
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

/** Trains one experiment into a run directory; with `resume`, continues it exactly. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, outDir } = options;
  const callbacks = options.callbacks ?? [];
  const say = (line: string) => callbacks.forEach((c) => c.onMessage?.(line));
  const lastDir = path.join(outDir, 'checkpoints', 'last');
  const bestDir = path.join(outDir, 'checkpoints', 'best');
  const hash = configHash(config);

  let resumeState: TrainerState | null = null;
  // A run killed while swapping in a checkpoint still has the previous one: put it back.
  recoverReplacedDir(lastDir);
  recoverReplacedDir(bestDir);
  if (options.resume) {
    if (!fs.existsSync(lastDir)) throw new UserError(`nothing to resume in ${outDir}: no checkpoints/last (start without --resume)`);
    resumeState = loadTrainerState(lastDir);
    if (resumeState.configHash !== hash) {
      throw new UserError(`${outDir} was trained with a different config; resume with the same config (only train.epochs may change), or use a new --out`);
    }
  } else if (fs.existsSync(lastDir)) {
    throw new UserError(`${outDir} already holds a run; add --resume to continue it, or choose another --out`);
  }

  const backend = await initBackend(config.backend);
  say(backend.message);
  if (!backend.gradients) throw new UserError(`the ${backend.name} backend cannot train here: ${backend.message.replace(/^.*cannot train: /, '')}`);
  fs.mkdirSync(outDir, { recursive: true });
  writeJsonAtomic(path.join(outDir, 'config.json'), config);

  const dataset = await loadDataset(config.data, { seed: config.seed });
  dataset.warnings.forEach(say);
  const splits = splitDataset(dataset, config.data.split, config.seed);
  const splitsText = splitsCsv(dataset, splits);
  writeFileAtomic(path.join(outDir, 'splits.csv'), splitsText);

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
  const imageSize = model.imageSize;
  // One cache of resized images serves the train, val and test pipelines.
  const batchOptions = {
    imageSize,
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

  const manifest: Manifest = resumeState
    ? readManifest(outDir)
    : {
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
  const plateau = sched.name === 'plateau' ? new ReduceLROnPlateau(sched) : null;
  const es = config.train.earlyStopping;
  const stopper = es ? new EarlyStopping(es) : null;
  let state: TrainerState = {
    epoch: 0,
    step: 0,
    lr: config.train.optimizer.lr,
    scheduler: plateau?.getState() ?? null,
    earlyStopping: stopper?.getState() ?? null,
    best: { value: null, epoch: null },
    configHash: hash,
    phase: phaseOf(config, 0),
  };
  const metricsFile = path.join(outDir, 'metrics.jsonl');
  if (resumeState) {
    state = resumeState;
    loadCheckpointWeights(lastDir, model);
    loadOptimizerState(lastDir, optimizer);
    if (plateau && state.scheduler) plateau.setState(state.scheduler as never);
    if (stopper && state.earlyStopping) stopper.setState(state.earlyStopping as never);
    // Epochs after the checkpoint never happened as far as this run is concerned.
    const kept = fs.existsSync(metricsFile) ? fs.readFileSync(metricsFile, 'utf8').split('\n').filter(Boolean).slice(0, state.epoch) : [];
    writeFileAtomic(metricsFile, kept.map((l) => l + '\n').join(''));
    say(`resuming ${outDir} after epoch ${state.epoch}`);
  } else {
    writeFileAtomic(metricsFile, '');
  }

  callbacks.forEach((c) =>
    c.onTrainBegin?.({
      outDir,
      startEpoch: state.epoch,
      epochs: config.train.epochs,
      trainImages: splits.train.length,
      valImages: splits.val.length,
      testImages: splits.test.length,
      batchesPerEpoch: trainBatches.numBatches,
    }),
  );

  const metadata = bundleMetadata(model, config, dataset, configHash(config));
  let stoppedEarly = false;
  let entries: ParamGroupEntry[] = [];
  let entriesPhase: Phase | null = null;

  for (let epoch = state.epoch; epoch < config.train.epochs; epoch++) {
    const phase = phaseOf(config, epoch);
    if (phase !== state.phase) {
      // LP-FT: the fine-tuning phase starts from fresh optimizer moments at a lower rate.
      state.phase = phase;
      state.lr = config.train.optimizer.lr * config.train.ftLrScale;
      optimizer.reset();
      if (plateau) plateau.setState(new ReduceLROnPlateau(sched.name === 'plateau' ? sched : {}).getState());
      say(`epoch ${epoch + 1}: linear probing done, fine-tuning every layer at lr ${state.lr}`);
    }
    if (entriesPhase !== phase) {
      entries = paramGroups(model, { classifierOnly: phase === 'linear-probe', layerDecay: config.train.layerDecay });
      entriesPhase = phase;
    }
    optimizer.lr = state.lr;
    callbacks.forEach((c) => c.onEpochBegin?.(epoch, phase, state.lr));

    const started = Date.now();
    const { lossSum, seen } = await trainEpoch({ model, optimizer, entries, lossFn, seed: config.seed, numClasses: dataset.classes.length, callbacks }, trainBatches, epoch, phase, () => {
      state.step += 1;
    });
    const trainSeconds = (Date.now() - started) / 1000;

    const val = await predictBatches(model, valBatches, lossName);
    const report = computeMetrics(metricsInputFor(dataset, val, config));
    const record = epochRecord(epoch, phase, state.lr, lossSum / Math.max(seen, 1), val, report, (Date.now() - started) / 1000, seen / trainSeconds);
    const notes: string[] = [];

    // Scheduler, early stopping and best checkpoint read the same epoch record.
    if (plateau && sched.name === 'plateau') {
      const m = monitorValue(record, sched.monitor);
      if (m !== null) {
        const next = plateau.step(m, state.lr);
        if (next !== state.lr) notes.push(`ReduceLROnPlateau: ${sched.monitor} has not improved for ${sched.patience + 1} epochs; lr ${state.lr} -> ${next}`);
        state.lr = next;
      } else notes.push(`ReduceLROnPlateau: ${sched.monitor} is undefined this epoch; not stepped`);
      state.scheduler = plateau.getState();
    }
    const monitored = monitorValue(record, config.train.checkpointMonitor);
    const improved = monitored !== null && isBetter(config.train.checkpointMode, monitored, state.best.value);
    if (improved) state.best = { value: monitored, epoch: epoch + 1 };
    if (stopper && es) {
      const m = monitorValue(record, es.monitor);
      if (m !== null && stopper.update(m)) {
        stoppedEarly = true;
        notes.push(`EarlyStopping: ${es.monitor} has not improved for ${es.patience} epochs; stopping`);
      }
      state.earlyStopping = stopper.getState();
    }
    state.epoch = epoch + 1;

    fs.appendFileSync(metricsFile, JSON.stringify(record) + '\n');
    if (improved) await saveCheckpoint(bestDir, model, null, { ...state }, { ...metadata, epoch: String(epoch + 1) });
    await saveCheckpoint(lastDir, model, optimizer, { ...state }, { ...metadata, epoch: String(epoch + 1) });
    callbacks.forEach((c) => c.onEpochEnd?.(record, report, notes));
    if (stoppedEarly) break;
  }

  // Test metrics come from the best checkpoint (by the monitored validation metric).
  let test: MetricsReport | null = null;
  let testSkipped: number[] = [];
  if (splits.test.length > 0) {
    if (fs.existsSync(bestDir)) loadCheckpointWeights(bestDir, model);
    let thresholds: number[] | undefined;
    if (dataset.task === 'multilabel' && config.eval.threshold === 'tune') {
      const val = await predictBatches(model, valBatches, lossName);
      const tuned = tuneThresholds(val.indices.map((i) => dataset.samples[i].labels!), val.probs, dataset.classes);
      thresholds = tuned.thresholds;
      say(`eval.threshold tune: per-label thresholds from validation F1: ${dataset.classes.map((c, j) => `${c} ${thresholds![j].toFixed(3)}`).join(', ')}`);
      tuned.notes.forEach(say);
    }
    const testBatches = new ImageBatches(dataset, splits.test, { ...batchOptions, batchSize: config.train.batchSize });
    const preds = await predictBatches(model, testBatches, lossName);
    testSkipped = [...testBatches.skipped];
    test = await writeEvaluation(outDir, `${config.name}: test split`, dataset, preds, config, {
      checkpoint: fs.existsSync(bestDir) ? checkpointMetadata(bestDir) : metadata,
      split: 'test',
      metricsJsonl: metricsFile,
      thresholds,
    });
  }
  const skipped = [...new Set([...trainBatches.skipped, ...valBatches.skipped, ...testSkipped])].map((i) => dataset.samples[i].id);
  if (skipped.length) {
    manifest.skippedImages = skipped;
    say(`data.skipBadImages: ${skipped.length} unreadable image(s) left out (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', ...' : ''}); listed in manifest.json`);
  }
  manifest.finished = new Date().toISOString();
  writeManifest(outDir, manifest);
  optimizer.dispose();
  model.dispose();
  callbacks.forEach((c) => c.onTrainEnd?.({ epochsRun: state.epoch, bestEpoch: state.best.epoch, stoppedEarly }));
  return { outDir, epochsRun: state.epoch, bestEpoch: state.best.epoch, bestValue: state.best.value, stoppedEarly, test, backend };
}

interface StepContext {
  model: ClassifierModel;
  optimizer: AdamOptimizer;
  entries: ParamGroupEntry[];
  lossFn: (logits: tf.Tensor2D, targets: tf.Tensor2D) => tf.Scalar;
  seed: number;
  numClasses: number;
  callbacks: TrainerCallback[];
}

/** One pass over the training batches: forward, gradients of the trained variables, optimizer step. */
async function trainEpoch(ctx: StepContext, batches: ImageBatches, epoch: number, phase: Phase, onStep: () => void): Promise<{ lossSum: number; seen: number }> {
  const { model, optimizer, entries, lossFn } = ctx;
  const imageSize = model.imageSize;
  const started = Date.now();
  let lossSum = 0;
  let seen = 0;
  let batchIndex = 0;
  const varList = entries.map((e) => e.variable);
  const nameOf = new Map(entries.map((e) => [e.variable.name, e.name]));
  // Linear probing keeps the backbone in inference mode (batch-norm statistics frozen).
  model.setTraining(phase === 'finetune');
  for await (const batch of batches.epoch(epoch)) {
    const n = batch.size;
    const x = tf.tensor4d(batch.x, [n, imageSize, imageSize, 3]);
    const y = tf.tensor2d(batch.y, [n, ctx.numClasses]);
    // Dropout and drop-path masks are keyed by (seed, epoch, batch): a resumed run draws the same ones.
    const { value, grads } = withStochasticContext(ctx.seed, `${epoch}:${batchIndex}`, () =>
      tf.variableGrads(() => lossFn(model.forward(x), y), varList),
    );
    optimizer.apply(entries, new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g])));
    const loss = (await value.data())[0];
    tf.dispose([x, y, value, ...Object.values(grads)]);
    if (!Number.isFinite(loss)) {
      throw new UserError(`training diverged: loss is ${loss} at epoch ${epoch + 1}, batch ${batchIndex + 1}; lower train.optimizer.lr`);
    }
    lossSum += loss * n;
    seen += n;
    batchIndex += 1;
    onStep();
    const elapsed = (Date.now() - started) / 1000;
    ctx.callbacks.forEach((c) => c.onBatchEnd?.(epoch, batchIndex, { loss: lossSum / seen, imagesPerSecond: seen / Math.max(elapsed, 1e-9) }));
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
