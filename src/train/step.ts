import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel } from '../models/classifier';
import { withStochasticContext } from '../models/layers/stochastic';
import type { LossFn } from './losses';
import { AdamOptimizer, ParamGroupEntry } from './optimizer';
import { ClipGradConfig, clipGradients } from './clip-grad';
import { explainHeapExhausted, microBatchSizes } from './micro-batch';

/** One batch of training input: images [N, H, W, 3] and targets [N, C] (one-hot, soft or multi-hot). */
export interface TrainBatch {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
}

/**
 * Where a step's dropout and drop-path masks come from: the same (seed, key) draws the same
 * masks, which is what lets a resumed run repeat the uninterrupted one.
 */
export interface StochasticKey {
  seed: number;
  key: string;
}

export interface TrainStepOptions {
  model: ClassifierModel;
  lossFn: LossFn;
  optimizer: AdamOptimizer;
  /** The trained variables with their parameter names and groups (see paramGroups). */
  entries: ParamGroupEntry[];
  /** train.clipGrad: clip the gradients before the update (torch clip_grad_norm_ / clip_grad_value_). */
  clipGrad?: ClipGradConfig | null;
  /**
   * At most this many images per forward/backward pass (train.microBatch resolved); the batch's
   * gradients are accumulated over its micro-batches. Absent: the whole batch at once.
   */
  microBatch?: number;
}

/** Gradients of the loss by parameter name, and the loss they came from (still a tensor: reading it waits). */
export interface StepGradients {
  loss: tf.Scalar;
  grads: Map<string, tf.Tensor>;
}

/**
 * The training step that both the trainer and the benchmark run: forward, gradients of the
 * trained variables, optimizer update, loss read back. The caller owns the batch tensors and
 * sets the model's training mode.
 *
 * The two halves are separate on purpose. Gradient accumulation over micro-batches calls
 * `gradients` once per slice, sums, and hands the sum to `apply`; gradient clipping and an EMA
 * of the weights belong in `apply`, before and after the optimizer update.
 */
export class TrainStep {
  readonly model: ClassifierModel;
  readonly lossFn: LossFn;
  readonly optimizer: AdamOptimizer;
  readonly entries: ParamGroupEntry[];
  readonly clipGrad: ClipGradConfig | null;
  readonly microBatch: number | undefined;
  private readonly variables: tf.Variable[];
  private readonly nameOf: Map<string, string>;

  constructor(options: TrainStepOptions) {
    this.model = options.model;
    this.lossFn = options.lossFn;
    this.optimizer = options.optimizer;
    this.entries = options.entries;
    this.clipGrad = options.clipGrad ?? null;
    this.microBatch = options.microBatch;
    this.variables = this.entries.map((e) => e.variable);
    // tf names variables itself; the optimizer keys its moments by parameter name.
    this.nameOf = new Map(this.entries.map((e) => [e.variable.name, e.name]));
  }

  /** Forward and backward over one batch (or micro-batch); the caller disposes what it gets. */
  gradients(batch: TrainBatch, stochastic: StochasticKey): StepGradients {
    const { value, grads } = withStochasticContext(stochastic.seed, stochastic.key, () =>
      tf.variableGrads(() => this.lossFn(this.model.forward(batch.x), batch.y), this.variables),
    );
    const byName = new Map<string, tf.Tensor>();
    for (const [variableName, g] of Object.entries(grads)) byName.set(this.nameOf.get(variableName) ?? variableName, g);
    return { loss: value, grads: byName };
  }

  /** Applies gradients (by parameter name) with the optimizer, clipped first with clipGrad; does not dispose them. */
  /**
   * The full batch's mean-loss gradients, computed micro-batch by micro-batch: the sum of each
   * micro-batch's mean-loss gradients weighted by its share of the batch (and the loss likewise).
   * Batch norm sees each micro-batch's statistics, as in PyTorch with gradient accumulation. The
   * masks of micro-batch i are keyed `<key>/m<i>`; one micro-batch is exactly `gradients`.
   */
  accumulatedGradients(batch: TrainBatch, stochastic: StochasticKey, sizes: number[]): StepGradients {
    if (sizes.length === 1) return this.gradients(batch, stochastic);
    const n = batch.x.shape[0];
    let loss: tf.Scalar | null = null;
    const sum = new Map<string, tf.Tensor>();
    let start = 0;
    try {
      sizes.forEach((size, i) => {
        const part = tf.tidy(() => ({ x: tf.slice(batch.x, start, size), y: tf.slice(batch.y, start, size) }));
        let g: StepGradients;
        try {
          g = this.gradients(part, { seed: stochastic.seed, key: `${stochastic.key}/m${i}` });
        } finally {
          tf.dispose([part.x, part.y]);
        }
        const share = size / n;
        const add = (previous: tf.Tensor | null | undefined, t: tf.Tensor): tf.Tensor => {
          const next = tf.tidy(() => (previous ? tf.add(previous, tf.mul(t, share)) : tf.mul(t, share)));
          tf.dispose([previous ?? [], t]);
          return next;
        };
        loss = add(loss, g.loss) as tf.Scalar;
        for (const [name, grad] of g.grads) sum.set(name, add(sum.get(name), grad));
        start += size;
      });
    } catch (e) {
      tf.dispose([loss ?? [], ...sum.values()]);
      throw e;
    }
    return { loss: loss!, grads: sum };
  }

  /** Applies gradients (by parameter name) with the optimizer; does not dispose them. */
  apply(grads: Map<string, tf.Tensor>): void {
    if (!this.clipGrad) {
      this.optimizer.apply(this.entries, grads);
      return;
    }
    const clipped = clipGradients(Object.fromEntries(grads), this.clipGrad);
    try {
      this.optimizer.apply(this.entries, new Map(Object.entries(clipped.grads)));
    } finally {
      tf.dispose([...Object.values(clipped.grads), ...(clipped.totalNorm ? [clipped.totalNorm] : [])]);
    }
  }

  /** One whole step on a batch; resolves to its loss (the caller judges a non-finite one). */
  async run(batch: TrainBatch, stochastic: StochasticKey): Promise<number> {
    const sizes = microBatchSizes(batch.x.shape[0], this.microBatch);
    let step: StepGradients;
    try {
      step = this.accumulatedGradients(batch, stochastic, sizes);
    } catch (e) {
      throw explainHeapExhausted(e, this.model, sizes[0]);
    }
    const { loss, grads } = step;
    try {
      // The first update allocates Adam's moments: the heap may run out here too.
      this.apply(grads);
      return (await loss.data())[0];
    } catch (e) {
      throw explainHeapExhausted(e, this.model, sizes[0]);
    } finally {
      tf.dispose([loss, ...grads.values()]);
    }
  }
}
