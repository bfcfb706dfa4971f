import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AdamOptimizer } from '../../src/train/optimizer';
import { relativeError } from '../helpers/numeric';

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'torch-reference.json'), 'utf8')).optimizers;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamOptimizer', () => {
  type Case = {
    name: string;
    options: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
    decoupled: boolean;
    steps: number[][];
  };
  const cases: [string, Case][] = ref.cases.map((c: Case) => [c.name, c]);
  test.each(cases)('%s matches torch.optim step by step', (_n, c) => {
    const { options, decoupled, steps } = c;
    const variable = tf.variable(tf.tensor(ref.initial, ref.shape));
    const opt = new AdamOptimizer({ lr: options.lr, betas: options.betas, eps: options.eps, weightDecay: options.weight_decay, decoupled });
    const entry = { name: 'w', variable, lrScale: 1, decay: true };
    ref.grads.forEach((g: number[], i: number) => {
      const grad = tf.tensor(g, ref.shape);
      opt.apply([entry], new Map([['w', grad]]));
      grad.dispose();
      expect(relativeError(variable.dataSync(), steps[i])).toBeLessThan(1e-6);
    });
    opt.dispose();
    variable.dispose();
  });

  test('lrScale and decay=false change only what they should', () => {
    const a = tf.variable(tf.ones([2]));
    const b = tf.variable(tf.ones([2]));
    const opt = new AdamOptimizer({ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.5, decoupled: true });
    const g = tf.ones([2]);
    opt.apply(
      [
        { name: 'a', variable: a, lrScale: 1, decay: false },
        { name: 'b', variable: b, lrScale: 0.5, decay: false },
      ],
      new Map([
        ['a', g],
        ['b', g],
      ]),
    );
    // First Adam step moves each weight by lr · sign(g) (bias-corrected m/sqrt(v) = 1).
    expect(a.dataSync()[0]).toBeCloseTo(1 - 0.1, 6);
    expect(b.dataSync()[0]).toBeCloseTo(1 - 0.05, 6);
    tf.dispose([a, b, g]);
    opt.dispose();
  });

  test('state save/restore continues bit for bit and leaks no tensors', async () => {
    const make = () => new AdamOptimizer({ lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1, decoupled: true });
    const v1 = tf.variable(tf.tensor(ref.initial, ref.shape));
    const v2 = tf.variable(tf.tensor(ref.initial, ref.shape));
    const o1 = make();
    const step = (o: AdamOptimizer, v: tf.Variable, g: number[]) => {
      const t = tf.tensor(g, ref.shape);
      o.apply([{ name: 'w', variable: v, lrScale: 1, decay: true }], new Map([['w', t]]));
      t.dispose();
    };
    step(o1, v1, ref.grads[0]);
    step(o1, v1, ref.grads[1]);
    v2.assign(v1);
    const o2 = make();
    o2.setState(await o1.getState());
    const before = tf.memory().numTensors;
    for (const g of ref.grads.slice(2)) {
      step(o1, v1, g);
      step(o2, v2, g);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(v2.dataSync())).toEqual(Array.from(v1.dataSync()));
    o1.dispose();
    o2.dispose();
    tf.dispose([v1, v2]);
  });
});
