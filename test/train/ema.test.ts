import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { emaConfigSchema, ModelEma } from '../../src/train/ema';
import { relativeError } from '../helpers/numeric';

// Recorded by scripts/ema_reference.py (timm's ModelEmaV3 on a Linear + BatchNorm1d, 12 steps of weights).
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'ema-reference.json'), 'utf8'));
const names: string[] = ref.names;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function variables(weights: Record<string, number[]>): Array<{ name: string; variable: tf.Variable }> {
  return names.map((name) => {
    const t = tf.tensor(weights[name], ref.shapes[name]);
    const variable = tf.variable(t, !name.startsWith('bn.running_'));
    t.dispose();
    return { name, variable };
  });
}

function assignAll(vars: Array<{ name: string; variable: tf.Variable }>, weights: Record<string, number[]>): void {
  for (const v of vars) tf.tidy(() => v.variable.assign(tf.tensor(weights[v.name], ref.shapes[v.name])));
}

describe("EMA equals timm's ModelEmaV3 on a recorded weight sequence", () => {
  test.each(Object.keys(ref.cases))('%s (parameters and batch-norm buffers)', (name) => {
    const c = ref.cases[name];
    const before = tf.memory().numTensors;
    const vars = variables(c.initial);
    const ema = new ModelEma(vars, emaConfigSchema.parse(c.options));
    ref.weights.forEach((w: Record<string, number[]>, i: number) => {
      assignAll(vars, w);
      ema.update(i + 1);
      for (const n of names) expect(relativeError(ema.tensors().get(n)!.dataSync(), c.emas[i][n])).toBeLessThan(1e-6);
    });
    ema.dispose();
    vars.forEach((v) => v.variable.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('EMA resume and evaluation', () => {
  const opts = emaConfigSchema.parse({ decay: 0.9, warmup: true });

  test('restoring the state mid-sequence continues bit for bit', () => {
    const full = variables(ref.weights[0]);
    const a = new ModelEma(full, opts);
    const b0 = variables(ref.weights[0]);
    const b = new ModelEma(b0, opts);
    ref.weights.slice(0, 5).forEach((w: Record<string, number[]>, i: number) => {
      assignAll(full, w);
      a.update(i + 1);
      assignAll(b0, w);
      b.update(i + 1);
    });
    // A fresh EMA restored from b's checkpoint (host copies, as a safetensors round trip gives).
    const saved = new Map([...b.tensors()].map(([n, t]) => [n, tf.tensor(t.dataSync(), t.shape)]));
    const state = JSON.parse(JSON.stringify(b.getState()));
    b.dispose();
    const c = new ModelEma(b0, opts);
    c.setState(state, saved);
    ref.weights.slice(5).forEach((w: Record<string, number[]>, i: number) => {
      assignAll(full, w);
      a.update(i + 6);
      assignAll(b0, w);
      c.update(i + 6);
    });
    for (const n of names) expect(Array.from(c.tensors().get(n)!.dataSync())).toEqual(Array.from(a.tensors().get(n)!.dataSync()));
    tf.dispose([...saved.values()]);
    [a, c].forEach((e) => e.dispose());
    [...full, ...b0].forEach((v) => v.variable.dispose());
  });

  test('withAveraged swaps the average in and puts the raw weights back', async () => {
    const vars = variables(ref.weights[0]);
    const ema = new ModelEma(vars, opts);
    ema.update(1);
    assignAll(vars, ref.weights[1]);
    ema.update(2);
    assignAll(vars, ref.weights[2]);
    const raw = vars[0].variable.dataSync().slice();
    const before = tf.memory().numTensors;
    const seen = await ema.withAveraged(() => vars[0].variable.dataSync().slice());
    expect(Array.from(seen)).toEqual(Array.from(ema.tensors().get(names[0])!.dataSync()));
    expect(Array.from(vars[0].variable.dataSync())).toEqual(Array.from(raw));
    expect(tf.memory().numTensors).toBe(before);
    ema.dispose();
    vars.forEach((v) => v.variable.dispose());
  });

  test('the decay warms up as timm computes it', () => {
    const ema = new ModelEma([], emaConfigSchema.parse({ decay: 0.9999, warmup: true }));
    expect(ema.decayAt(1)).toBe(0);
    expect(ema.decayAt(11)).toBeCloseTo(1 - 11 ** (-2 / 3), 15);
    expect(ema.decayAt(1e9)).toBe(0.9999);
  });
});
