import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../models';
import { lossFunction } from '../train/losses';
import { TrainStep } from '../train/step';
import { resolveMicroBatch } from '../train/micro-batch-memory';
import { AdamOptimizer } from '../train/optimizer';
import { paramGroups } from '../train/param-groups';
import { Rng } from '../util/random';
import { timeKernels, KernelTime } from '../backend/kernel-timer';
import { forwardInPasses, forwardPassImages } from '../backend/forward-passes';

export type BenchMode = 'both' | 'train' | 'inference';

export interface BenchOptions {
  model: string;
  imageSize: number;
  batchSize: number;
  /** timed steps (the median is reported) */
  steps: number;
  /** untimed steps first (first-call set-up, heap growth, Adam's moments) */
  warmup: number;
  numClasses: number;
  seed: number;
  mode: BenchMode;
  /** also time every kernel over the timed steps (slows them a little; the step times then include it) */
  profile: boolean;
  /** images per forward/backward pass of a training step, as train.microBatch (absent: the whole batch) */
  microBatch?: number | 'auto';
  /** as train.memoryLimitMiB, for microBatch auto */
  memoryLimitMiB?: number;
  /** as model.checkpointActivations: training recomputes each block's activations in the backward pass */
  checkpointActivations?: boolean;
  /** called after every step, warm-up included */
  onStep?: (phase: 'train' | 'inference', index: number, seconds: number, warmup: boolean) => void;
}

/** Median time and throughput of one kind of step. */
export interface StepTiming {
  medianSeconds: number;
  imagesPerSecond: number;
  /** every timed step, in order */
  seconds: number[];
}

export interface BenchResult {
  model: string;
  backend: string;
  imageSize: number;
  batchSize: number;
  steps: number;
  warmup: number;
  params: number;
  /** forward, loss, backward and Adam update: the trainer's own step (train/step.ts) */
  train: StepTiming | null;
  /** forward in eval mode, outside any gradient tape */
  inference: StepTiming | null;
  /** peak resident memory of the whole process so far (wasm heap included) */
  peakRssMiB: number;
  /** tf.memory().numTensors before the model was built and after everything was disposed */
  tensorsBefore: number;
  tensorsAfter: number;
  /** tensors after the last timed training step minus after the first: growth here is a per-step leak */
  tensorsGrowthOverSteps: number;
  /** images per forward/backward pass of the training steps (the batch when not micro-batched) */
  microBatch: number | null;
  /** how microBatch auto chose, when it did */
  microBatchLine?: string;
  /** true when the training steps checkpointed activations */
  checkpointActivations?: boolean;
  /** per-kernel self time over the timed steps, with `profile` */
  kernels?: { train?: KernelTime[]; inference?: KernelTime[] };
}

/**
 * Measures a registered model on the active backend with synthetic images: `warmup` untimed steps,
 * then `steps` timed ones, for training (what the trainer does per batch) and for inference.
 */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const tensorsBefore = tf.memory().numTensors;
  const model = createModel(o.model, {
    numClasses: o.numClasses,
    imageSize: o.imageSize,
    seed: o.seed,
    checkpointActivations: o.checkpointActivations,
  });
  const params = model.countParams();
  const { x, y } = syntheticBatch(o.seed, o.batchSize, o.imageSize, o.numClasses);
  let train: StepTiming | null = null;
  let inference: StepTiming | null = null;
  let growth = 0;
  let microBatch: number | null = null;
  let microBatchLine: string | undefined;
  const kernels: NonNullable<BenchResult['kernels']> = {};
  let failure: unknown;
  try {
    if (o.mode !== 'inference') {
      const optimizer = new AdamOptimizer({ lr: 1e-4, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false });
      try {
        // The trainer's own step, full fine-tuning; each step draws its dropout masks from (seed, step).
        const lossFn = lossFunction('cross-entropy', 0);
        const entries = paramGroups(model, { classifierOnly: false, layerDecay: null });
        const choice = await resolveMicroBatch({
          setting: o.microBatch,
          batchSize: o.batchSize,
          memoryLimitMiB: o.memoryLimitMiB,
          step: new TrainStep({ model, optimizer, lossFn, entries }),
          numClasses: o.numClasses,
        });
        microBatch = choice.microBatch;
        if (choice.line) microBatchLine = choice.line;
        const trainStep = new TrainStep({ model, optimizer, lossFn, entries, microBatch });
        model.setTraining(true);
        let index = 0;
        const step = async (): Promise<void> => void (await trainStep.run({ x, y }, { seed: o.seed, key: `bench:${index++}` }));
        for (let i = 0; i < o.warmup; i++) o.onStep?.('train', i, await timeOnce(step), true);
        const counts: number[] = [];
        const timed = async (): Promise<number[]> => {
          const seconds: number[] = [];
          for (let i = 0; i < o.steps; i++) {
            seconds.push(await timeOnce(step));
            counts.push(tf.memory().numTensors);
            o.onStep?.('train', i, seconds[i], false);
          }
          return seconds;
        };
        train = await timedSteps(o, timed, (k) => (kernels.train = k));
        growth = counts.length > 1 ? counts[counts.length - 1] - counts[0] : 0;
      } finally {
        optimizer.dispose();
      }
    }
    if (o.mode !== 'train') {
      model.setTraining(false);
      // As evaluate and predict run it: in passes where webgpu cannot bind the whole batch at once.
      const perPass = await forwardPassImages(model, o.batchSize);
      const step = async (): Promise<void> => {
        const logits = tf.tidy(() => forwardInPasses(model, x, perPass));
        await logits.data();
        logits.dispose();
      };
      for (let i = 0; i < o.warmup; i++) o.onStep?.('inference', i, await timeOnce(step), true);
      const timed = async (): Promise<number[]> => {
        const seconds: number[] = [];
        for (let i = 0; i < o.steps; i++) {
          seconds.push(await timeOnce(step));
          o.onStep?.('inference', i, seconds[i], false);
        }
        return seconds;
      };
      inference = await timedSteps(o, timed, (k) => (kernels.inference = k));
    }
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    disposeKeepingFirstError(failure, () => {
      tf.dispose([x, y]);
      model.dispose();
    });
  }
  const result: BenchResult = {
    model: o.model,
    backend: tf.getBackend(),
    imageSize: o.imageSize,
    batchSize: o.batchSize,
    steps: o.steps,
    warmup: o.warmup,
    params,
    train,
    inference,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
    tensorsGrowthOverSteps: growth,
    microBatch,
  };
  if (microBatchLine) result.microBatchLine = microBatchLine;
  if (o.checkpointActivations && train) result.checkpointActivations = true;
  if (o.profile) result.kernels = kernels;
  return result;
}

/** After a wasm trap the module is unusable and disposing throws too: the error that caused it is the one to report. */
function disposeKeepingFirstError(failure: unknown, dispose: () => void): void {
  try {
    dispose();
  } catch (e) {
    if (failure === undefined) throw e;
  }
}

async function timedSteps(o: BenchOptions, run: () => Promise<number[]>, keep: (k: KernelTime[]) => void): Promise<StepTiming> {
  let seconds: number[] = [];
  if (o.profile) {
    keep(
      await timeKernels(tf.getBackend(), async () => {
        seconds = await run();
      }),
    );
  } else {
    seconds = await run();
  }
  const medianSeconds = median(seconds);
  return { medianSeconds, imagesPerSecond: o.batchSize / medianSeconds, seconds };
}

/** Images from a seeded normal stream and cycling one-hot labels (the values do not change the timing). */
export function syntheticBatch(seed: number, batchSize: number, imageSize: number, numClasses: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const rng = Rng.create(seed, 'synthetic');
  const values = new Float32Array(batchSize * imageSize * imageSize * 3);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  const labels = new Float32Array(batchSize * numClasses);
  for (let i = 0; i < batchSize; i++) labels[i * numClasses + (i % numClasses)] = 1;
  return {
    x: tf.tensor4d(values, [batchSize, imageSize, imageSize, 3]),
    y: tf.tensor2d(labels, [batchSize, numClasses]),
  };
}

async function timeOnce(step: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await step();
  return (performance.now() - start) / 1000;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
