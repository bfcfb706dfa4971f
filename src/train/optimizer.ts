import * as tf from '@tensorflow/tfjs-core';
import { adamStepFused } from '../backend/ops';

export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** true: AdamW's decoupled decay (p ← p − lr·wd·p); false: L2 added to the gradient (torch.optim.Adam). */
  decoupled: boolean;
}

/** What the optimizer needs to know about one trained variable. */
export interface ParamGroupEntry {
  name: string;
  variable: tf.Variable;
  /** Multiplies the base learning rate (layer-wise decay, LP-FT). */
  lrScale: number;
  /** Biases and norm weights are not decayed (timm's and Keras's usual practice). */
  decay: boolean;
}

interface Slot {
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * Adam and AdamW with PyTorch's update rule, per-parameter learning-rate scales, and a state
 * that saves and restores exactly (moments and step count), so a resumed run continues bit for bit.
 */
export class AdamOptimizer {
  lr: number;
  step = 0;
  private readonly slots = new Map<string, Slot>();

  constructor(readonly options: AdamOptions) {
    this.lr = options.lr;
  }

  /** Applies one update from gradients keyed by variable name; disposes nothing it was given. */
  apply(entries: ParamGroupEntry[], grads: Map<string, tf.Tensor>): void {
    this.step += 1;
    const { betas, eps, weightDecay, decoupled } = this.options;
    const [b1, b2] = betas;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    for (const e of entries) {
      const g = grads.get(e.name);
      if (!g) continue;
      const slot = this.slot(e);
      const lr = this.lr * e.lrScale;
      const wd = e.decay ? weightDecay : 0;
      tf.tidy(() => {
        const p = e.variable;
        // One kernel for the whole update where the backend has it (wasm with fundus-train's native kernels).
        const fused = adamStepFused(p, g, slot.m, slot.v, {
          beta1: b1,
          beta2: b2,
          eps,
          sqrtBc2: Math.sqrt(bc2),
          stepSize: lr / bc1,
          l2: !decoupled ? wd : 0,
          lrWeightDecay: decoupled ? lr * wd : 0,
        });
        if (fused) {
          slot.m.assign(fused[1]);
          slot.v.assign(fused[2]);
          p.assign(fused[0]);
          return;
        }
        const grad = !decoupled && wd > 0 ? tf.add(g, tf.mul(p, wd)) : g;
        const m = tf.add(tf.mul(slot.m, b1), tf.mul(grad, 1 - b1));
        const v = tf.add(tf.mul(slot.v, b2), tf.mul(tf.square(grad), 1 - b2));
        slot.m.assign(m);
        slot.v.assign(v);
        // torch: p −= lr/bc1 · m / (sqrt(v)/sqrt(bc2) + eps)
        const denom = tf.add(tf.div(tf.sqrt(v), Math.sqrt(bc2)), eps);
        let next = tf.sub(p, tf.mul(tf.div(m, denom), lr / bc1));
        if (decoupled && wd > 0) next = tf.sub(next, tf.mul(p, lr * wd));
        p.assign(next);
      });
    }
  }

  private slot(e: ParamGroupEntry): Slot {
    let s = this.slots.get(e.name);
    if (!s) {
      // In a tidy: a variable keeps its own reference, so the zeros it starts from must not stay tracked.
      s = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(e.variable), false), v: tf.variable(tf.zerosLike(e.variable), false) }));
      this.slots.set(e.name, s);
    }
    return s;
  }

  /** Moments as plain arrays keyed "<param>.exp_avg" / "<param>.exp_avg_sq" (torch's names), plus the step. */
  async getState(): Promise<{ step: number; lr: number; tensors: Map<string, { shape: number[]; data: Float32Array }> }> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, s] of this.slots) {
      tensors.set(`${name}.exp_avg`, { shape: s.m.shape, data: (await s.m.data()) as Float32Array });
      tensors.set(`${name}.exp_avg_sq`, { shape: s.v.shape, data: (await s.v.data()) as Float32Array });
    }
    return { step: this.step, lr: this.lr, tensors };
  }

  setState(state: { step: number; lr: number; tensors: Map<string, { shape: number[]; data: Float32Array }> }): void {
    this.dispose();
    this.step = state.step;
    this.lr = state.lr;
    const names = new Set([...state.tensors.keys()].map((k) => k.replace(/\.exp_avg(_sq)?$/, '')));
    for (const name of names) {
      const m = state.tensors.get(`${name}.exp_avg`);
      const v = state.tensors.get(`${name}.exp_avg_sq`);
      if (!m || !v) throw new Error(`optimizer state for ${name} is incomplete`);
      this.slots.set(name, { m: tf.variable(tf.tensor(m.data, m.shape), false), v: tf.variable(tf.tensor(v.data, v.shape), false) });
    }
  }

  /** Back to a fresh optimizer: no moments, step 0 (LP-FT's fine-tuning phase starts so). */
  reset(): void {
    this.dispose();
    this.step = 0;
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.slots.clear();
  }
}
