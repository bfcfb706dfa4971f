import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { median, runBench } from '../../src/bench/bench';
import { benchLines } from '../../src/bench/format';

beforeAll(async () => {
  await initBackend('wasm');
});

const tiny = { model: 'test_vit', imageSize: 32, batchSize: 2, numClasses: 3, seed: 1 };

test('times training and inference steps of a model, leaving no tensor behind', async () => {
  const seen: string[] = [];
  const r = await runBench({
    ...tiny,
    steps: 3,
    warmup: 1,
    mode: 'both',
    profile: false,
    onStep: (phase, i, seconds, warmup) => seen.push(`${phase}${warmup ? ' warm-up' : ''} ${i} ${seconds > 0}`),
  });
  expect(seen).toEqual([
    'train warm-up 0 true',
    'train 0 true',
    'train 1 true',
    'train 2 true',
    'inference warm-up 0 true',
    'inference 0 true',
    'inference 1 true',
    'inference 2 true',
  ]);
  expect(r).toMatchObject({ model: 'test_vit', backend: 'wasm', imageSize: 32, batchSize: 2, steps: 3, warmup: 1 });
  expect(r.params).toBeGreaterThan(0);
  for (const t of [r.train!, r.inference!]) {
    expect(t.seconds).toHaveLength(3);
    expect(t.medianSeconds).toBe(median(t.seconds));
    expect(t.imagesPerSecond).toBeCloseTo(2 / t.medianSeconds, 6);
  }
  expect(r.tensorsAfter).toBe(r.tensorsBefore);
  expect(r.tensorsGrowthOverSteps).toBe(0);
  expect(r.peakRssMiB).toBeGreaterThan(10);
  expect(r.kernels).toBeUndefined();
  expect(tf.memory().numTensors).toBe(r.tensorsBefore);
});

test('with profile: the self time of every kernel per phase; one mode only', async () => {
  const r = await runBench({ ...tiny, steps: 2, warmup: 0, mode: 'inference', profile: true });
  expect(r.train).toBeNull();
  expect(r.inference?.seconds).toHaveLength(2);
  const kernels = r.kernels?.inference ?? [];
  expect(kernels.map((k) => k.kernel)).toContain('BatchMatMul');
  expect(kernels.every((k) => k.calls > 0 && k.selfMs >= 0)).toBe(true);
  // Sorted by self time, largest first.
  expect(kernels.map((k) => k.selfMs)).toEqual([...kernels.map((k) => k.selfMs)].sort((a, b) => b - a));
  const lines = benchLines(r);
  expect(lines[0]).toMatch(
    /^test_vit 32px batch 2 on wasm \(.*M params\): inference \d+\.\d{3} s \(\d+\.\d\d img\/s\), median of 2 after 0 warm-up$/,
  );
  expect(lines.some((l) => /^inference kernels, self time per step/.test(l))).toBe(true);
  expect(lines.some((l) => /peak RSS \d+ MiB; tensors before (\d+), after \1$/.test(l))).toBe(true);
});

test('median of an even and an odd count', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
});

test('with a micro-batch: the training step runs in passes, says so, and leaves no tensor behind', async () => {
  const r = await runBench({ ...tiny, batchSize: 3, steps: 2, warmup: 1, mode: 'train', profile: false, microBatch: 2 });
  expect(r.microBatch).toBe(2);
  expect(r.microBatchLine).toBeUndefined();
  expect(r.train?.seconds).toHaveLength(2);
  expect(r.tensorsAfter).toBe(r.tensorsBefore);
  expect(r.tensorsGrowthOverSteps).toBe(0);
  expect(benchLines(r)[0]).toMatch(/^test_vit 32px batch 3 on wasm \(.*\): train step in passes of at most 2 \d+\.\d{3} s/);
  const auto = await runBench({ ...tiny, steps: 1, warmup: 0, mode: 'train', profile: false, microBatch: 'auto' });
  // A model this small fits the wasm heap whole.
  expect(auto.microBatch).toBe(2);
  expect(benchLines(auto)[0]).toMatch(/^test_vit 32px batch 2 on wasm \(.*\): train\.microBatch auto: 2 \(batch 2 in 1 pass; measured/);
  expect(auto.tensorsAfter).toBe(auto.tensorsBefore);
});

test('with checkpointed activations: the training step says so and leaves no tensor behind', async () => {
  const r = await runBench({ ...tiny, steps: 2, warmup: 1, mode: 'train', profile: false, checkpointActivations: true });
  expect(r.checkpointActivations).toBe(true);
  expect(r.tensorsAfter).toBe(r.tensorsBefore);
  expect(r.tensorsGrowthOverSteps).toBe(0);
  expect(benchLines(r)[0]).toMatch(/^test_vit 32px batch 2 on wasm \(.*\): train step, activations checkpointed \d+\.\d{3} s/);
});
