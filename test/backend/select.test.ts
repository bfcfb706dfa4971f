import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, describeBackend, initBackend } from '../../src/backend/select';
import { UserError } from '../../src/util/errors';

tf.env().set('IS_TEST', true); // silences the cpu backend's advertisement for tfjs-node

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

// On this project's machines the native backends cannot install (libtensorflow is not downloadable).
const nativeMissing = !installed('@tensorflow/tfjs-node-gpu') && !installed('@tensorflow/tfjs-node');
if (!nativeMissing) console.warn('skipping the native-backend-missing tests: @tensorflow/tfjs-node(-gpu) is installed here');
const describeNativeMissing = nativeMissing ? describe : describe.skip;

test('the backend names a config may use', () => {
  expect([...BACKEND_NAMES]).toEqual(['auto', 'cuda', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
});

describeNativeMissing('without tfjs-node', () => {
  test('auto ends on wasm and says why cuda and tensorflow were not taken', async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(info.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // webgpu: no adapter in this jest process, or a software one, which auto refuses (test/backend/webgpu).
    expect(info.tried.map((t) => [t.name, t.ok])).toEqual([
      ['cuda', false],
      ['tensorflow', false],
      ['webgpu', false],
      ['wasm', true],
    ]);
    expect(info.tried[0].reason).toMatch(/@tensorflow\/tfjs-node-gpu is not installed \(its install needs libtensorflow/);
    expect(info.tried[1].reason).toMatch(/@tensorflow\/tfjs-node is not installed \(its install needs libtensorflow/);
    expect(info.message).toMatch(
      /^backend wasm \(.*\); not taken: cuda: @tensorflow\/tfjs-node-gpu is not installed .*; tensorflow: @tensorflow\/tfjs-node is not installed/,
    );
    expect(info.message).not.toContain('\n');
    // wasm can train once selected: the gradient kernels it lacks are registered.
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
  });

  test('asking again gives the same answer without re-initialising', async () => {
    const first = await initBackend('auto');
    expect(await initBackend('auto')).toBe(first);
  });

  test.each([
    [
      'cuda',
      /^backend cuda is not available \(cuda: @tensorflow\/tfjs-node-gpu is not installed .*\); install it with `npm install @tensorflow\/tfjs-node-gpu` .*CUDA.*, or use --backend wasm \(or auto\)$/,
    ],
    [
      'tensorflow',
      /^backend tensorflow is not available \(tensorflow: @tensorflow\/tfjs-node is not installed .*\); install it with `npm install @tensorflow\/tfjs-node` .*, or use --backend wasm \(or auto\)$/,
    ],
  ] as const)('asking for %s explicitly is a one-line UserError saying what to do', async (name, pattern) => {
    const before = tf.getBackend();
    const error = await initBackend(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(pattern);
    expect((error as UserError).message).not.toContain('\n');
    expect(tf.getBackend()).toBe(before);
  });
});

test('explicit cpu and wasm switch backends; wasm registers its training kernels', async () => {
  const cpu = await initBackend('cpu');
  expect(cpu).toMatchObject({ name: 'cpu', tfBackend: 'cpu', tried: [{ name: 'cpu', ok: true }] });
  expect(tf.getBackend()).toBe('cpu');
  expect(cpu.message).toMatch(/^backend cpu \(.*too slow.*\)/);
  const wasm = await initBackend('wasm');
  expect(wasm).toMatchObject({ name: 'wasm', tfBackend: 'wasm', tried: [{ name: 'wasm', ok: true }] });
  expect(tf.getKernel(tf.DepthwiseConv2dNativeBackpropInput, 'wasm')).toBeDefined();
});

test('an unknown backend name is a UserError listing the valid ones', async () => {
  await expect(initBackend('tpu' as never)).rejects.toThrow(
    new UserError("unknown backend 'tpu': use one of auto, cuda, tensorflow, webgpu, wasm, cpu"),
  );
});

test('describeBackend reports versions and the wasm build for the manifest', async () => {
  const info = await initBackend('wasm');
  const d = await describeBackend(info);
  expect(d).toMatchObject({ backend: 'wasm', tfBackend: 'wasm', tfjsVersion: tf.version_core, packageVersion: '4.22.0' });
  expect(typeof d.wasm?.simd).toBe('boolean');
  expect(d.wasm?.threads).toBeGreaterThanOrEqual(1);
  expect(d.wasm?.fma).toBe(process.env.FUNDUS_WASM_FMA !== '0');
});
