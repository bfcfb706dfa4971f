import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, AUTO_ORDER, describeBackend, initBackend, releaseBackend } from '../../../src/backend/select';
import { describeIfAdapter } from './adapter';

test('webgpu is a backend name, tried by auto after the native ones and before wasm', () => {
  expect(BACKEND_NAMES).toContain('webgpu');
  expect(AUTO_ORDER).toEqual(['cuda', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
});

describeIfAdapter()('selecting webgpu', () => {
  afterEach(() => releaseBackend());

  test('auto refuses a software adapter and says which one and why; --backend webgpu takes it, noting it is slow', async () => {
    const auto = await initBackend('auto');
    const attempt = auto.tried.find((t) => t.name === 'webgpu');
    expect(attempt).toBeDefined();
    if (auto.adapter?.software == null) {
      console.log(`a real GPU adapter is present (${auto.adapter?.name}): the software-adapter half of this test does not apply`);
      return;
    }
    expect(auto.name).toBe('wasm');
    expect(attempt!.ok).toBe(false);
    expect(attempt!.reason).toContain(`adapter '${auto.adapter.name}' is not a GPU`);
    expect(auto.message).toContain(`webgpu: adapter '${auto.adapter.name}' is not a GPU`);

    const explicit = await initBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(explicit.message).toMatch(/^backend webgpu \(TensorFlow\.js WebGPU on Dawn.*a software adapter, not a GPU: correct but slow\)$/);
    const description = await describeBackend(explicit);
    expect(description.packageVersion).toBe('4.22.0');
    // The device was opened with the adapter's maximum binding size, not WebGPU's 128 MiB default.
    const device = (tf.backend() as unknown as { device: { limits: Record<string, number> } }).device;
    expect(device.limits.maxStorageBufferBindingSize).toBe(explicit.adapter!.limits.maxStorageBufferBindingSize);
    expect(device.limits.maxBufferSize).toBe(explicit.adapter!.limits.maxBufferSize);
  });
});
