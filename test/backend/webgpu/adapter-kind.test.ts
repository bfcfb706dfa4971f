import { adapterName, AdapterIdentity, softwareAdapterReason } from '../../../src/backend/webgpu/adapter-kind';

const adapter = (o: Partial<AdapterIdentity>): AdapterIdentity => ({
  vendor: '',
  architecture: '',
  device: '',
  description: '',
  isFallbackAdapter: false,
  ...o,
});

describe("auto's real-GPU rule (no adapter needed)", () => {
  test('software adapters are recognised, with the reason', () => {
    expect(softwareAdapterReason(adapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }))).toBe(
      "its architecture 'swiftshader' names a CPU implementation (swiftshader)",
    );
    expect(softwareAdapterReason(adapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toMatch(/description .*llvmpipe/);
    expect(softwareAdapterReason(adapter({ description: 'lavapipe' }))).toMatch(/lavapipe/);
    expect(softwareAdapterReason(adapter({ device: 'Microsoft Basic Render Driver', architecture: 'cpu' }))).toMatch(/architecture 'cpu'/);
    expect(softwareAdapterReason(adapter({ vendor: 'nvidia', isFallbackAdapter: true }))).toMatch(/fallback/);
  });

  test('real GPUs are taken', () => {
    expect(softwareAdapterReason(adapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' }))).toBeUndefined();
    expect(
      softwareAdapterReason(adapter({ vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) UHD Graphics 770 (ADL-S GT1)' })),
    ).toBeUndefined();
    // "CPU" only as a word: a GPU named after its CPU package is still a GPU.
    expect(softwareAdapterReason(adapter({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon 780M (APU)' }))).toBeUndefined();
  });

  test('names', () => {
    expect(adapterName(adapter({ description: 'SwiftShader driver 5.0.0', vendor: 'google' }))).toBe('SwiftShader driver 5.0.0');
    expect(adapterName(adapter({ vendor: 'nvidia', architecture: 'ampere' }))).toBe('nvidia ampere');
    expect(adapterName(adapter({}))).toBe('unnamed adapter');
  });
});
