import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';

export const emaConfigSchema = z.strictObject({
  /** The decay the average approaches (timm's default 0.9998 in train.py). */
  decay: z.number().gt(0).lt(1).default(0.9998),
  /** Warm the decay up as 1 − (1 + step/warmupGamma)^−warmupPower, capped at decay (timm ModelEmaV3 use_warmup). */
  warmup: z.boolean().default(false),
  warmupGamma: z.number().positive().default(1),
  warmupPower: z
    .number()
    .positive()
    .default(2 / 3),
  /** Lower bound of the warmed-up decay (timm min_decay). */
  minDecay: z.number().min(0).lt(1).default(0),
  /** Updates before averaging starts; until then the average copies the weights (timm update_after_step). */
  updateAfterStep: z.int().min(0).default(0),
  /** Which model checkpointMonitor reads and checkpoints/best keeps: the EMA (val_ema_*) or the raw one (val_*). */
  selectBest: z.enum(['ema', 'raw']).default('ema'),
});

export type EmaConfig = z.infer<typeof emaConfigSchema>;

/** One tracked tensor: a parameter or a buffer (batch-norm statistics are averaged too, as timm does). */
export interface EmaSource {
  name: string;
  variable: tf.Variable;
}

export interface EmaState {
  /** Optimizer updates seen (timm's num_updates at the last update). */
  step: number;
}

/**
 * An exponential moving average of a model's parameters and buffers with timm's ModelEmaV3
 * semantics, updated after each optimizer step with that step's count (timm's train.py passes
 * num_updates): decay(step) = 0 for the first update (the average starts as a copy), then `decay`,
 * or the warmed-up value. Each update is ema·d + w·(1 − d), the same elementwise float32 form as
 * timm on torch without _foreach_lerp_.
 */
export class ModelEma {
  private readonly shadow: Map<string, tf.Variable>;
  private step = 0;

  constructor(
    private readonly sources: EmaSource[],
    readonly options: Omit<EmaConfig, 'selectBest'>,
  ) {
    // Tensors are immutable: the copy may share the weights' buffer until the first update replaces it.
    this.shadow = new Map(sources.map((s) => [s.name, tf.variable(s.variable, false)]));
  }

  /** timm ModelEmaV3.get_decay(step). */
  decayAt(step: number): number {
    const o = this.options;
    const s = Math.max(0, step - o.updateAfterStep - 1);
    if (s <= 0) return 0;
    if (!o.warmup) return o.decay;
    const d = 1 - (1 + s / o.warmupGamma) ** -o.warmupPower;
    return Math.max(Math.min(d, o.decay), o.minDecay);
  }

  /** Folds the current weights in after optimizer update number `step` (1 for the first). */
  update(step: number): void {
    const d = this.decayAt(step);
    tf.tidy(() => {
      for (const s of this.sources) {
        const e = this.shadow.get(s.name)!;
        e.assign(d === 0 ? s.variable : tf.add(tf.mul(e, d), tf.mul(s.variable, 1 - d)));
      }
    });
    this.step = step;
  }

  /** The averaged tensors by name (owned by the EMA: do not dispose). */
  tensors(): ReadonlyMap<string, tf.Tensor> {
    return this.shadow;
  }

  /** Runs `fn` with the model's variables holding the average, then puts the raw weights back. */
  async withAveraged<T>(fn: () => Promise<T> | T): Promise<T> {
    const saved = this.sources.map((s) => s.variable.clone());
    try {
      this.sources.forEach((s) => s.variable.assign(this.shadow.get(s.name)!));
      return await fn();
    } finally {
      this.sources.forEach((s, i) => s.variable.assign(saved[i]));
      tf.dispose(saved);
    }
  }

  getState(): EmaState {
    return { step: this.step };
  }

  /** Restores the step count and the averaged tensors (from a checkpoint, by name, same shapes). */
  setState(state: EmaState, tensors: ReadonlyMap<string, tf.Tensor>): void {
    for (const [name, e] of this.shadow) {
      const t = tensors.get(name);
      if (!t) throw new Error(`EMA checkpoint lacks ${name}`);
      if (t.shape.join() !== e.shape.join()) throw new Error(`EMA checkpoint ${name} has shape [${t.shape}], expected [${e.shape}]`);
      e.assign(t);
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const e of this.shadow.values()) e.dispose();
    this.shadow.clear();
  }
}
