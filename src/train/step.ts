import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel } from '../models/classifier';
import { withStochasticContext } from '../models/layers/stochastic';
import type { LossFn } from './losses';
import { AdamOptimizer, ParamGroupEntry } from './optimizer';
import { ClipGradConfig, clipGradients } from './clip-grad';

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
  private readonly variables: tf.Variable[];
  private readonly nameOf: Map<string, string>;

  constructor(options: TrainStepOptions) {
    this.model = options.model;
    this.lossFn = options.lossFn;
    this.optimizer = options.optimizer;
    this.entries = options.entries;
    this.clipGrad = options.clipGrad ?? null;
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
    const { loss, grads } = this.gradients(batch, stochastic);
    try {
      this.apply(grads);
      return (await loss.data())[0];
    } finally {
      tf.dispose([loss, ...grads.values()]);
    }
  }
}
