import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../../../src/backend/wasm';
import {
  adamStepFused,
  addReluFused,
  batchNormActFixed,
  batchNormActTraining,
  channelGateFused,
  geluFused,
  layerNormFused,
  maxPoolPadded,
  maxPoolPaddedFused,
  NormActivation,
  softmaxFused,
  spatialMeanFused,
} from '../../../src/backend/ops';
import { fusedKernelAvailable } from '../../../src/backend/ops/native-active';
import { FusedKernel } from '../../../src/backend/fused-kernel-names';
import { setOptimizationsEnabled } from '../../../src/backend/optimizations';
import { build, describeWithGradients, HostTensor, randomTensor, runOn, wasmVsCpu, weightedGradients } from '../wasm/compare-backends';

/**
 * The fused operations against the tfjs compositions they replace: on wasm each runs fundus-train's
 * native kernels, on cpu (the reference) the same call returns null and the test runs the composition.
 * Shapes include channel counts that are not multiples of 4 (the kernels' SIMD tails).
 */

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  registerWasmTrainingKernels();
  // A customGrad keeps its saved tensors, which IS_TEST's per-kernel leak check counts as a leak.
  tf.env().set('IS_TEST', false);
});

afterEach(() => setOptimizationsEnabled(true));

/** On wasm the fused path must be taken: a silent fallback would make every comparison trivial. */
function expectFused(result: unknown): void {
  if (tf.getBackend() === 'wasm') expect(result).not.toBeNull();
  else expect(result).toBeNull();
}

function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** The tfjs composition each fused activation replaces. */
function activate(y: tf.Tensor, activation: NormActivation): tf.Tensor {
  if (activation === 'silu') return silu(y);
  return activation === 'relu' ? tf.relu(y) : y;
}

const bnShapes = [
  [2, 5, 7, 3],
  [3, 4, 4, 8],
  [1, 9, 6, 13],
  [4, 3, 2, 64],
];

describeWithGradients.each(bnShapes.flatMap((s) => (['identity', 'silu', 'relu'] as NormActivation[]).map((a) => [s.join('×'), a, s] as const)))(
  'batch norm + activation in training, x %s, %s',
  (_, activation, shape) => {
    // A mean far from zero checks that the one-pass statistics do not cancel.
    const x = { ...randomTensor(shape, 1), values: randomTensor(shape, 1).values.map((v, i) => 3 * v + (i % shape[3]) * 2 - 5) };
    const gamma = randomTensor([shape[3]], 2);
    const beta = randomTensor([shape[3]], 3);

    const composite = (xv: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(xv, [0, 1, 2]);
      const y = tf.batchNorm4d(xv as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5);
      return { y: activate(y, activation), mean, variance };
    };
    const run = (xv: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const fused = batchNormActTraining(xv as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, activation);
      expectFused(fused);
      return fused ?? composite(xv, g, b);
    };

    test('output and batch statistics', async () => {
      const errors = await wasmVsCpu(() => {
        const r = run(build(x), build(gamma), build(beta));
        return [r.y, r.mean, r.variance];
      });
      for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
    });

    test('gradients with respect to x, gamma and beta', async () => {
      const errors = await wasmVsCpu(weightedGradients(([xv, g, b]) => run(xv, g, b).y, [x, gamma, beta]));
      expect(errors).toHaveLength(3);
      for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
    });
  },
);

describeWithGradients.each([['identity'], ['silu'], ['relu']] as const)('batch norm + %s with fixed statistics (inference, frozen)', (activation) => {
  test('output and gradients match tfjs batchNorm on cpu', async () => {
    const shape = [2, 6, 5, 7];
    const x = randomTensor(shape, 4);
    const gamma = randomTensor([7], 5);
    const beta = randomTensor([7], 6);
    const mean = randomTensor([7], 7);
    const variance = { ...randomTensor([7], 8), values: randomTensor([7], 8).values.map((v) => v * v + 0.1) };
    const f = ([xv, g, b]: tf.Tensor[], [m, v]: tf.Tensor[]) => {
      const fused = batchNormActFixed(xv as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, activation);
      expectFused(fused);
      if (fused) return fused;
      const y = tf.batchNorm4d(xv as tf.Tensor4D, m as tf.Tensor1D, v as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-3);
      return activate(y, activation);
    };
    const [forward] = await wasmVsCpu(() => f([build(x), build(gamma), build(beta)], [build(mean), build(variance)]));
    expect(forward).toBeLessThan(TOLERANCE);
    const errors = await wasmVsCpu(weightedGradients(f, [x, gamma, beta], [mean, variance]));
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });
});

describeWithGradients.each([[[2, 5, 7]], [[3, 192]], [[1, 4, 13]], [[2, 3, 1]]])('layer norm over the last axis of %j', (shape) => {
  test('output and gradients match tfjs moments on cpu', async () => {
    const d = shape[shape.length - 1];
    const x = { ...randomTensor(shape, 9), values: randomTensor(shape, 9).values.map((v) => 2 * v + 4) };
    const gamma = randomTensor([d], 10);
    const beta = randomTensor([d], 11);
    const f = ([xv, g, b]: tf.Tensor[]) => {
      const fused = layerNormFused(xv, g as tf.Tensor1D, b as tf.Tensor1D, 1e-6);
      expectFused(fused);
      if (fused) return fused;
      const { mean, variance } = tf.moments(xv, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(xv, mean), tf.rsqrt(tf.add(variance, 1e-6))), g), b);
    };
    const [forward] = await wasmVsCpu(() => f([build(x), build(gamma), build(beta)]));
    expect(forward).toBeLessThan(TOLERANCE);
    const errors = await wasmVsCpu(weightedGradients(f, [x, gamma, beta]));
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });
});

describeWithGradients('GELU', () => {
  // Wide values: both tails (where x·Φ(x) underflows towards 0 and where it approaches x) and odd sizes.
  const spread = (shape: number[], seed: number): HostTensor => ({
    ...randomTensor(shape, seed),
    values: randomTensor(shape, seed).values.map((v) => 4 * v),
  });

  test.each([[[7]], [[3, 5, 11]], [[2, 64]]])('x·Φ(x) and its gradient match tfjs erf on cpu, shape %j', async (shape) => {
    const x = spread(shape, 12);
    const f = ([xv]: tf.Tensor[]) => {
      const fused = geluFused(xv);
      expectFused(fused);
      return fused ?? tf.mul(tf.mul(xv, 0.5), tf.add(tf.erf(tf.mul(xv, Math.SQRT1_2)), 1));
    };
    const [forward] = await wasmVsCpu(() => f([build(x)]));
    expect(forward).toBeLessThan(1e-5);
    const [gradient] = await wasmVsCpu(weightedGradients(f, [x]));
    expect(gradient).toBeLessThan(1e-5);
  });

  test('far tails: about 0 for very negative x, x for very positive x, never NaN', async () => {
    const values = Float32Array.from([-100, -30, -10, -5, 0, 5, 10, 30, 100]);
    const [y] = await runOn('wasm', () => geluFused(tf.tensor1d(values)) as tf.Tensor);
    y.values.forEach((v, i) => {
      expect(Number.isFinite(v)).toBe(true);
      expect(Math.abs(v - (values[i] > 0 ? values[i] : 0))).toBeLessThan(values[i] === 5 || values[i] === -5 ? 2e-6 : 1e-7);
    });
  });
});

describeWithGradients.each([[[2, 5, 7, 3]], [[3, 4, 4, 16]], [[1, 9, 11, 5]]])('squeeze-and-excitation pieces, x %j', (shape) => {
  const x = randomTensor(shape, 30);
  const gate = randomTensor([shape[0], 1, 1, shape[3]], 31);

  test('mean over positions and its gradient match tf.mean on cpu', async () => {
    const f = ([xv]: tf.Tensor[]) => {
      const fused = spatialMeanFused(xv as tf.Tensor4D);
      expectFused(fused);
      return fused ?? tf.mean(xv, [1, 2], true);
    };
    const [forward] = await wasmVsCpu(() => f([build(x)]));
    expect(forward).toBeLessThan(TOLERANCE);
    const [gradient] = await wasmVsCpu(weightedGradients(f, [x]));
    expect(gradient).toBeLessThan(TOLERANCE);
  });

  test('channel gate and its gradients match tf.mul on cpu', async () => {
    const f = ([xv, g]: tf.Tensor[]) => {
      const fused = channelGateFused(xv as tf.Tensor4D, g as tf.Tensor4D);
      expectFused(fused);
      return fused ?? tf.mul(xv, g);
    };
    const [forward] = await wasmVsCpu(() => f([build(x), build(gate)]));
    expect(forward).toBeLessThan(TOLERANCE);
    const errors = await wasmVsCpu(weightedGradients(f, [x, gate]));
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });
});

describeWithGradients.each([
  [[2, 9, 9, 3], 3, 2, 1],
  [[1, 8, 7, 8], 3, 2, 1],
  [[2, 6, 6, 5], 2, 2, 0],
  [[1, 5, 6, 4], 3, 1, 1],
  [[3, 12, 10, 64], 3, 2, 1],
  [[4, 40, 40, 48], 3, 2, 1],
])('max pooling with symmetric padding, x %j, kernel %d, stride %d, padding %d', (shape, kernel, stride, padding) => {
  // Small integers: many windows hold equal maxima, where the gradient must go to the first one.
  const x = { ...randomTensor(shape, 40), values: randomTensor(shape, 40).values.map((v) => Math.round(v * 1.5)) };

  test('output and gradient match tfjs pad + maxPool on cpu', async () => {
    const f = ([xv]: tf.Tensor[]) => {
      const fused = maxPoolPaddedFused(xv as tf.Tensor4D, kernel, stride, padding);
      expectFused(fused);
      return fused ?? maxPoolPadded(xv as tf.Tensor4D, kernel, stride, padding);
    };
    const [forward] = await wasmVsCpu(() => f([build(x)]));
    expect(forward).toBe(0);
    const [gradient] = await wasmVsCpu(weightedGradients(f, [x]));
    expect(gradient).toBeLessThan(1e-6);
  });
});

describeWithGradients.each([[[2, 5, 7, 3]], [[3, 4, 4, 16]], [[1, 9, 11, 5]], [[7]]])('residual add + ReLU, shape %j', (shape) => {
  // Whole numbers: many sums are exactly 0, where ReLU's gradient is 0 (tfjs's step).
  const a = { ...randomTensor(shape, 50), values: randomTensor(shape, 50).values.map((v) => Math.round(v * 2)) };
  const b = { ...randomTensor(shape, 51), values: randomTensor(shape, 51).values.map((v) => Math.round(v * 2)) };

  test('output and both gradients match tf.relu(tf.add) on cpu', async () => {
    const f = ([av, bv]: tf.Tensor[]) => {
      const fused = addReluFused(av, bv);
      expectFused(fused);
      return fused ?? tf.relu(tf.add(av, bv));
    };
    const [forward] = await wasmVsCpu(() => f([build(a), build(b)]));
    expect(forward).toBe(0);
    const errors = await wasmVsCpu(weightedGradients(f, [a, b]));
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toBe(0);
  });
});

describeWithGradients.each([[[2, 3, 5, 7]], [[24, 197, 197]], [[4, 64, 64]], [[3, 1]]])('softmax over the last axis, shape %j', (shape) => {
  test("output and gradient match tfjs's softmax on cpu", async () => {
    const x = { ...randomTensor(shape, 70), values: randomTensor(shape, 70).values.map((v) => 4 * v) };
    const f = ([xv]: tf.Tensor[]) => {
      const fused = softmaxFused(xv);
      expectFused(fused);
      return fused ?? tf.softmax(xv);
    };
    const [forward] = await wasmVsCpu(() => f([build(x)]));
    expect(forward).toBeLessThan(TOLERANCE);
    const [gradient] = await wasmVsCpu(weightedGradients(f, [x]));
    expect(gradient).toBeLessThan(TOLERANCE);
  }, 60_000);
});

// The shapes ResNet-50 runs these at (224 px, 2 images per pass): the threaded splits and every cache
// effect of full-size tensors, which the small shapes above do not reach.
describeWithGradients('at ResNet-50 sizes, batch 2', () => {
  test('max pooling of the stem, [2, 112, 112, 64], and its gradient', async () => {
    const x = randomTensor([2, 112, 112, 64], 60);
    const f = ([xv]: tf.Tensor[]) => maxPoolPaddedFused(xv as tf.Tensor4D, 3, 2, 1) ?? maxPoolPadded(xv as tf.Tensor4D, 3, 2, 1);
    const [gradient] = await wasmVsCpu(weightedGradients(f, [x]));
    expect(gradient).toBeLessThan(1e-6);
  }, 60_000);

  test('residual add + ReLU, [2, 56, 56, 256], and its gradients', async () => {
    const a = randomTensor([2, 56, 56, 256], 61);
    const b = randomTensor([2, 56, 56, 256], 62);
    const f = ([av, bv]: tf.Tensor[]) => addReluFused(av, bv) ?? tf.relu(tf.add(av, bv));
    const errors = await wasmVsCpu(weightedGradients(f, [a, b]));
    for (const e of errors) expect(e).toBeLessThan(1e-6);
  }, 60_000);

  test('batch norm + ReLU in training, [2, 56, 56, 64], and its gradients', async () => {
    const x = randomTensor([2, 56, 56, 64], 63);
    const gamma = randomTensor([64], 64);
    const beta = randomTensor([64], 65);
    const f = ([xv, g, b]: tf.Tensor[]) => {
      const fused = batchNormActTraining(xv as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, 'relu');
      if (fused) return fused.y;
      const { mean, variance } = tf.moments(xv, [0, 1, 2]);
      return tf.relu(tf.batchNorm4d(xv as tf.Tensor4D, mean as tf.Tensor1D, variance as tf.Tensor1D, b as tf.Tensor1D, g as tf.Tensor1D, 1e-5));
    };
    const [forward] = await wasmVsCpu(() => f([build(x), build(gamma), build(beta)]));
    expect(forward).toBeLessThan(TOLERANCE);
    const errors = await wasmVsCpu(weightedGradients(f, [x, gamma, beta]));
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  }, 60_000);
});

describe('Adam step', () => {
  const attrsFor = (step: number, l2: number, lrWd: number) => {
    const lr = 0.01;
    const b1 = 0.9;
    const b2 = 0.999;
    return { beta1: b1, beta2: b2, eps: 1e-8, sqrtBc2: Math.sqrt(1 - b2 ** step), stepSize: lr / (1 - b1 ** step), l2, lrWeightDecay: lrWd };
  };
  test.each([
    ['no decay', 0, 0],
    ['L2 decay (Adam)', 0.05, 0],
    ['decoupled decay (AdamW)', 0, 0.01 * 0.05],
  ])('three steps match the tfjs composition on cpu: %s, odd size', async (_, l2, lrWd) => {
    const shape = [3, 7];
    const steps = (): tf.Tensor[] => {
      let p = build(randomTensor(shape, 20));
      let m = tf.zeros(shape);
      let v = tf.zeros(shape);
      for (let t = 1; t <= 3; t++) {
        const g = build(randomTensor(shape, 20 + t));
        const a = attrsFor(t, l2, lrWd);
        const fused = adamStepFused(p, g, m, v, a);
        expectFused(fused);
        if (fused) {
          [p, m, v] = fused;
        } else {
          const grad = l2 > 0 ? tf.add(g, tf.mul(p, l2)) : g;
          m = tf.add(tf.mul(m, a.beta1), tf.mul(grad, 1 - a.beta1));
          v = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(grad), 1 - a.beta2));
          const denom = tf.add(tf.div(tf.sqrt(v), a.sqrtBc2), a.eps);
          let next = tf.sub(p, tf.mul(tf.div(m, denom), a.stepSize));
          if (lrWd > 0) next = tf.sub(next, tf.mul(p, lrWd));
          p = next;
        }
      }
      return [p, m, v];
    };
    const errors = await wasmVsCpu(steps);
    for (const e of errors) expect(e).toBeLessThan(1e-5);
  });
});

describe('the optimisation switch', () => {
  beforeEach(async () => {
    await tf.setBackend('wasm');
  });

  test('turns every fused kernel off on wasm (the callers then run tfjs ops)', () => {
    for (const name of Object.values(FusedKernel)) expect(fusedKernelAvailable(name)).toBe(true);
    setOptimizationsEnabled(false);
    for (const name of Object.values(FusedKernel)) expect(fusedKernelAvailable(name)).toBe(false);
    expect(geluFused(tf.ones([2]))).toBeNull();
  });

  test('the fused kernels leave no tensor and no backend buffer behind', () => {
    const x = tf.randomNormal([2, 4, 4, 6]);
    const g = tf.ones([6]);
    const b = tf.zeros([6]);
    const run = () => {
      const grads = tf.grads((xv: tf.Tensor, gv: tf.Tensor, bv: tf.Tensor) => {
        const r = batchNormActTraining(xv as tf.Tensor4D, gv as tf.Tensor1D, bv as tf.Tensor1D, 1e-5, 'silu')!;
        tf.dispose([r.mean, r.variance]);
        const l = layerNormFused(r.y, gv as tf.Tensor1D, bv as tf.Tensor1D, 1e-6)!;
        return tf.sum(geluFused(l)!);
      });
      tf.dispose(grads([x, g, b]));
    };
    run();
    const before = { tensors: tf.memory().numTensors, ids: tf.backend().numDataIds() };
    for (let i = 0; i < 3; i++) run();
    expect({ tensors: tf.memory().numTensors, ids: tf.backend().numDataIds() }).toEqual(before);
    tf.dispose([x, g, b]);
  });
});
