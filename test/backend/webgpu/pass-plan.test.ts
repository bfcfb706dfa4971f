import { BINDING_LIMIT_ENV, bindingLimitOverride, DEFAULT_BINDING_BYTES, requestedBindingBytes } from '../../../src/backend/webgpu/binding-limit';
import { BINDING_SAFETY, largestTensorAt, planPasses } from '../../../src/backend/webgpu/pass-plan';
import { UserError } from '../../../src/util/errors';

// The planner alone, with made-up measurements: no Dawn, no tensors.
const MiB = 2 ** 20;
const adapter = { bytes: 1024 * MiB, source: "the adapter's storage-buffer binding limit" };
const options = { label: 'efficientnet_b4 at 380 px', what: 'training step', batchSize: 32 };

describe('largestTensorAt: max(fixed, per image · n) from the probes at one and two images', () => {
  test('an activation is the largest: proportional to the images', () => {
    const probe = { oneImage: 60 * MiB, twoImages: 120 * MiB };
    expect([1, 2, 5, 32].map((n) => largestTensorAt(probe, n) / MiB)).toEqual([60, 120, 300, 1920]);
  });

  test('a weight (or its gradient) is the largest at one image and an activation at two: the weight stays, the activation grows', () => {
    // W = 50 MiB, A = 30 MiB per image: L(1) = 50, L(2) = 60; the truth at n is max(50, 30n).
    const probe = { oneImage: 50 * MiB, twoImages: 60 * MiB };
    expect([1, 2, 3, 10].map((n) => largestTensorAt(probe, n) / MiB)).toEqual([50, 60, 90, 300]);
  });

  test('a weight is the largest at both: never below it, and never below what a per-image tensor could reach', () => {
    // L(1) = L(2) = 80 MiB: every activation is at most 40 MiB per image; a line through both would say 80 forever.
    const probe = { oneImage: 80 * MiB, twoImages: 80 * MiB };
    expect([1, 2, 3, 4].map((n) => largestTensorAt(probe, n) / MiB)).toEqual([80, 80, 120, 160]);
  });

  test('only one probe (a batch of one): one image is the whole answer', () => {
    expect(largestTensorAt({ oneImage: 7 * MiB }, 1)).toBe(7 * MiB);
  });
});

describe('planPasses', () => {
  test('the whole batch fits: one pass, no line', () => {
    const plan = planPasses({ oneImage: 10 * MiB, twoImages: 20 * MiB }, adapter, options);
    expect(plan.maxImages).toBe(32);
    expect(plan.line).toBeUndefined();
  });

  test('the batch outgrows the binding: the most images within the margin, and one line saying so and why', () => {
    // 100 MiB per image; 90% of 1024 MiB = 921.6 MiB holds 9 images.
    const plan = planPasses({ oneImage: 100 * MiB, twoImages: 200 * MiB }, adapter, options);
    expect(plan.maxImages).toBe(9);
    expect(plan.usableBytes).toBeCloseTo(1024 * MiB * BINDING_SAFETY);
    expect(plan.line).toBe(
      'webgpu: each training step of efficientnet_b4 at 380 px runs a batch of 32 in 4 passes of at most 9 images: ' +
        "the whole batch's largest tensor would be 3200 MiB, above 922 MiB (90% of the adapter's storage-buffer binding limit, 1024 MiB)",
    );
  });

  test('exactly at the margin still fits; one byte over does not', () => {
    const usable = 1024 * MiB * BINDING_SAFETY;
    expect(planPasses({ oneImage: usable / 4, twoImages: usable / 2 }, adapter, options).maxImages).toBe(4);
    expect(planPasses({ oneImage: usable / 4 + 1, twoImages: usable / 2 + 2 }, adapter, options).maxImages).toBe(3);
  });

  test('one image that cannot fit: one UserError line with the model, the size, the tensor, the limit and what to change', () => {
    const attempt = () => planPasses({ oneImage: 2000 * MiB }, adapter, { ...options, what: 'forward pass' });
    expect(attempt).toThrow(UserError);
    expect(attempt).toThrow(
      "efficientnet_b4 at 380 px: a forward pass of 1 image makes a 2000 MiB tensor, more than the 922 MiB webgpu can bind (90% of the adapter's storage-buffer binding limit, 1024 MiB); " +
        'use a smaller model.imageSize or a smaller model, or another backend (wasm)',
    );
  });

  test('a limit set by the environment is named as such, small sizes with decimals', () => {
    const plan = planPasses(
      { oneImage: 0.1 * MiB, twoImages: 0.2 * MiB },
      { bytes: 0.25 * MiB, source: BINDING_LIMIT_ENV },
      { ...options, batchSize: 4 },
    );
    expect(plan.maxImages).toBe(2);
    expect(plan.line).toMatch(/above 0\.225 MiB \(90% of FUNDUS_WEBGPU_BINDING_LIMIT_MIB, 0\.250 MiB\)$/);
  });
});

describe(`${BINDING_LIMIT_ENV}`, () => {
  const saved = process.env[BINDING_LIMIT_ENV];
  afterEach(() => {
    if (saved == null) delete process.env[BINDING_LIMIT_ENV];
    else process.env[BINDING_LIMIT_ENV] = saved;
  });

  test('unset: the device asks for the adapter maximum', () => {
    delete process.env[BINDING_LIMIT_ENV];
    expect(bindingLimitOverride()).toBeUndefined();
    expect(requestedBindingBytes(4096 * MiB)).toBe(4096 * MiB);
  });

  test('set: the device asks for it, never below WebGPU default 128 MiB nor above the adapter', () => {
    process.env[BINDING_LIMIT_ENV] = '256';
    expect(requestedBindingBytes(4096 * MiB)).toBe(256 * MiB);
    expect(requestedBindingBytes(200 * MiB)).toBe(200 * MiB);
    process.env[BINDING_LIMIT_ENV] = '0.5';
    expect(bindingLimitOverride()).toBe(0.5 * MiB);
    expect(requestedBindingBytes(4096 * MiB)).toBe(DEFAULT_BINDING_BYTES);
  });

  test('a value that is not a positive number is a one-line UserError naming the variable', () => {
    for (const bad of ['abc', '0', '-3']) {
      process.env[BINDING_LIMIT_ENV] = bad;
      expect(() => bindingLimitOverride()).toThrow(
        new UserError(`${BINDING_LIMIT_ENV}='${bad}' is not a positive number of MiB (e.g. 256); unset it to use the adapter's limit`),
      );
    }
  });
});
