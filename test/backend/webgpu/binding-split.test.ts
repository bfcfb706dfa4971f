import * as tf from '@tensorflow/tfjs-core';
import { initBackend, releaseBackend } from '../../../src/backend/select';
import { ForwardModel, forwardInPasses, forwardPassImages } from '../../../src/backend/forward-passes';
import { BINDING_LIMIT_ENV, DEFAULT_BINDING_BYTES } from '../../../src/backend/webgpu/binding-limit';
import { largestTensorOf } from '../../../src/backend/webgpu/largest-buffer';
import { BINDING_SAFETY, largestTensorAt, LargestTensorProbe } from '../../../src/backend/webgpu/pass-plan';
import { syntheticBatch } from '../../../src/bench/bench';
import { createModel } from '../../../src/models';
import { ClassifierModel } from '../../../src/models/classifier';
import { gradCam } from '../../../src/predict/gradcam';
import { lossFunction } from '../../../src/train/losses';
import { microBatchSizes } from '../../../src/train/micro-batch';
import { resolveMicroBatch } from '../../../src/train/micro-batch-memory';
import { AdamOptimizer } from '../../../src/train/optimizer';
import { paramGroups } from '../../../src/train/param-groups';
import { TrainStep } from '../../../src/train/step';
import { describeIfAdapter } from './adapter';
import { TINY_EFFICIENTNET, TINY_VIT, TinyModel } from './tiny-models';

// Splitting batches under a storage-buffer binding limit forced low (far below what a tiny model needs),
// the Dawn error a tensor over the device's real binding gets unsplit, and Grad-CAM read back on webgpu.
const BATCH = 6;
const tiny = (spec: TinyModel): ClassifierModel =>
  createModel(spec.model, { numClasses: 3, imageSize: spec.imageSize, seed: 5, args: spec.args, dropRate: 0, dropPathRate: 0 });
const efficientnet = (): ClassifierModel => tiny(TINY_EFFICIENTNET);
// No batch norm: a step split into micro-batches has exactly the whole batch's mean-loss gradients.
const vit = (): ClassifierModel => tiny(TINY_VIT);

/**
 * A model whose one activation per image is 18 MiB (the input tiled to 288 channels), so that a batch of
 * 8 exceeds WebGPU's default 128 MiB binding by a margin while each op stays cheap on a software
 * adapter (a registered model's activations reach 128 MiB only at batches that take minutes there).
 */
const WIDE = { size: 128, tiles: 96, batch: 8 };
const WIDE_BYTES_PER_IMAGE = WIDE.size * WIDE.size * 3 * WIDE.tiles * 4;
const wide: ForwardModel = {
  modelName: 'wide',
  imageSize: WIDE.size,
  forward: (x) =>
    tf.tidy(() => {
      const h = tf.mul(tf.tile(x, [1, 1, 1, WIDE.tiles]), tf.linspace(0.5, 1.5, 3 * WIDE.tiles));
      return tf.sum(tf.reshape(h, [x.shape[0], 4, -1]), -1) as tf.Tensor2D;
    }),
};
// Positive inputs and weights: sums of a million terms without cancellation, which float32 on the GPU
// would otherwise round differently from cpu's float64 accumulator.
const wideInput = (): tf.Tensor4D => tf.randomUniform([WIDE.batch, WIDE.size, WIDE.size, 3], 0, 1, 'float32', 7);

/** The parts of tfjs-webgpu's backend the overflow test reads: the device, for its limit and error scopes. */
interface WebGpuDevice {
  limits: Record<string, number>;
  pushErrorScope(filter: 'validation'): void;
  popErrorScope(): Promise<{ message: string } | null>;
}

/** A planning limit that holds exactly two images of `probe` (and not three), in bytes. */
function limitForTwo(probe: LargestTensorProbe): number {
  const two = largestTensorAt(probe, 2);
  const three = largestTensorAt(probe, 3);
  expect(three).toBeGreaterThan(two); // else no limit splits this batch: the test would prove nothing
  return (two + three) / 2 / BINDING_SAFETY;
}

function setLimit(bytes: number | undefined): void {
  if (bytes == null) delete process.env[BINDING_LIMIT_ENV];
  else process.env[BINDING_LIMIT_ENV] = String(bytes / 2 ** 20);
}

function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

describeIfAdapter()('webgpu: batches split under the storage-buffer binding, Grad-CAM', () => {
  const saved = process.env[BINDING_LIMIT_ENV];
  let cpuCam: Float32Array;
  let cpuWide: Float32Array;

  beforeAll(async () => {
    await initBackend('cpu');
    const model = efficientnet();
    model.setTraining(false);
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    cpuCam = (await gradCam(model, x, 1)).values;
    x.dispose();
    model.dispose();
    cpuWide = tf.tidy(() => wide.forward(wideInput())).dataSync() as Float32Array;
    // The device is opened with WebGPU's default binding (the adapter offers more): a limit Dawn
    // enforces, which the overflow test exceeds; the tiny models' tests lower only what is planned for.
    setLimit(DEFAULT_BINDING_BYTES);
    await initBackend('webgpu');
    setLimit(undefined);
    expect(tf.getBackend()).toBe('webgpu');
  }, 120_000);

  afterAll(() => {
    setLimit(saved == null ? undefined : Number(saved) * 2 ** 20);
    releaseBackend();
  });

  afterEach(() => setLimit(undefined));

  test('a forward pass split by a low limit equals the whole batch at once; no tensor leaks', async () => {
    const model = efficientnet();
    model.setTraining(false);
    const S = model.imageSize;
    const { x } = syntheticBatch(11, BATCH, S, 3);
    try {
      expect(await forwardPassImages(model, BATCH)).toBeUndefined(); // the device's own limit: one pass
      const probe = {
        oneImage: await largestTensorOf(() => tf.tidy(() => void model.forward(tf.zeros([1, S, S, 3])))),
        twoImages: await largestTensorOf(() => tf.tidy(() => void model.forward(tf.zeros([2, S, S, 3])))),
      };
      const whole = tf.tidy(() => model.forward(x));
      const expected = (await whole.data()) as Float32Array;
      whole.dispose();

      setLimit(limitForTwo(probe));
      const perPass = await forwardPassImages(model, BATCH);
      expect(perPass).toBe(2);
      const before = tf.memory().numTensors;
      const split = tf.tidy(() => forwardInPasses(model, x, perPass));
      expect(split.shape).toEqual([BATCH, 3]);
      const got = (await split.data()) as Float32Array;
      split.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(maxRelativeDiff(got, expected)).toBeLessThan(1e-5);
    } finally {
      x.dispose();
      model.dispose();
    }
  }, 120_000);

  test('an unset train.microBatch splits the step when the batch exceeds the limit, with the same loss and gradients', async () => {
    const model = vit();
    const optimizer = new AdamOptimizer({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false });
    const step = new TrainStep({
      model,
      optimizer,
      lossFn: lossFunction('cross-entropy', 0),
      entries: paramGroups(model, { classifierOnly: false, layerDecay: null }),
    });
    const { x, y } = syntheticBatch(12, BATCH, model.imageSize, 3);
    const key = { seed: 3, key: 'split' };
    try {
      model.setTraining(true);
      expect(await resolveMicroBatch({ setting: undefined, batchSize: BATCH, step, numClasses: 3 })).toMatchObject({ microBatch: BATCH, line: null });
      const probeAt = (n: number): Promise<number> =>
        largestTensorOf(() =>
          tf.tidy(() => {
            const g = step.gradients({ x: tf.zeros([n, 32, 32, 3]), y: tf.zeros([n, 3]) }, key);
            tf.dispose([g.loss, ...g.grads.values()]);
          }),
        );
      const probe = { oneImage: await probeAt(1), twoImages: await probeAt(2) };

      setLimit(limitForTwo(probe));
      const choice = await resolveMicroBatch({ setting: undefined, batchSize: BATCH, step, numClasses: 3 });
      expect(choice.microBatch).toBe(2);
      expect(choice.line).toMatch(
        new RegExp(
          `^webgpu: each training step of test_vit at 32 px runs a batch of ${BATCH} in 3 passes of at most 2 images: .*${BINDING_LIMIT_ENV}`,
        ),
      );
      await expect(resolveMicroBatch({ setting: 3, batchSize: BATCH, step, numClasses: 3 })).rejects.toThrow(
        /train\.microBatch 3: .*set train\.microBatch to 2 or less, or to auto/,
      );

      const whole = step.gradients({ x, y }, key);
      const split = step.accumulatedGradients({ x, y }, key, microBatchSizes(BATCH, choice.microBatch));
      try {
        expect(Math.abs((await split.loss.data())[0] - (await whole.loss.data())[0])).toBeLessThan(1e-5);
        expect([...split.grads.keys()].sort()).toEqual([...whole.grads.keys()].sort());
        for (const [name, g] of whole.grads) {
          const d = maxRelativeDiff((await split.grads.get(name)!.data()) as Float32Array, (await g.data()) as Float32Array);
          if (d >= 1e-4) throw new Error(`${name}: split and whole gradients differ by ${d} (relative)`);
        }
      } finally {
        tf.dispose([whole.loss, ...whole.grads.values(), split.loss, ...split.grads.values()]);
      }
    } finally {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    }
  }, 180_000);

  test("Grad-CAM reads back on webgpu and equals cpu's heatmap within 1e-4", async () => {
    const model = efficientnet();
    model.setTraining(false);
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    try {
      const before = tf.memory().numTensors;
      const cam = await gradCam(model, x, 1);
      expect(tf.memory().numTensors).toBe(before);
      expect(cam.values.length).toBe(cpuCam.length);
      expect(Math.max(...cam.values)).toBeCloseTo(1, 6);
      for (let i = 0; i < cpuCam.length; i++) expect(Math.abs(cam.values[i] - cpuCam[i])).toBeLessThan(1e-4);
    } finally {
      x.dispose();
      model.dispose();
    }
  }, 120_000);

  test("a tensor over the device's binding gets Dawn's validation error unsplit; split into passes it equals cpu", async () => {
    const device = (tf.backend() as unknown as { device: WebGpuDevice }).device;
    const limit = device.limits.maxStorageBufferBindingSize;
    expect(limit).toBe(DEFAULT_BINDING_BYTES);
    expect(WIDE_BYTES_PER_IMAGE * WIDE.batch).toBeGreaterThan(limit);
    const x = wideInput();
    try {
      // Unsplit: Dawn refuses to bind the 144 MiB activation and tfjs reads back a result that is not cpu's.
      device.pushErrorScope('validation');
      const whole = tf.tidy(() => wide.forward(x));
      const wrong = (await whole.data()) as Float32Array;
      whole.dispose();
      const error = await device.popErrorScope();
      expect(error?.message).toMatch(
        new RegExp(
          `Binding size \\(${WIDE_BYTES_PER_IMAGE * WIDE.batch}\\) .* is larger than the maximum storage buffer binding size \\(${limit}\\)`,
        ),
      );
      expect(maxRelativeDiff(wrong, cpuWide)).toBeGreaterThan(0.1);

      // Split: the plan measured in compile-only mode keeps every pass under the binding.
      const perPass = await forwardPassImages(wide, WIDE.batch);
      expect(perPass).toBe(Math.floor((limit * BINDING_SAFETY) / WIDE_BYTES_PER_IMAGE));
      const before = tf.memory().numTensors;
      device.pushErrorScope('validation');
      const split = tf.tidy(() => forwardInPasses(wide, x, perPass));
      const got = (await split.data()) as Float32Array;
      split.dispose();
      expect((await device.popErrorScope())?.message ?? null).toBeNull();
      expect(tf.memory().numTensors).toBe(before);
      console.log(`wide: ${perPass} images per pass, relative difference to cpu ${maxRelativeDiff(got, cpuWide).toExponential(2)}`);
      expect(maxRelativeDiff(got, cpuWide)).toBeLessThan(1e-5);
    } finally {
      x.dispose();
    }
  }, 120_000);
});
