import { cli } from '../helpers/cli';
import { collectDoctorReport } from '../../src/doctor/report';
import { SystemProbe } from '../../src/backend/cuda-check';

const nothing: SystemProbe = { env: {}, listDir: () => [], readFile: () => undefined, exec: () => undefined };

describe('fundus-train doctor', () => {
  test('--json: every key with its type; exits 0 with cpu available', async () => {
    const r = await cli(['doctor', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j).sort()).toEqual(['backends', 'cuda', 'fundusTrain', 'node', 'os', 'sharp', 'tfjs', 'wasm', 'webgpu']);
    expect(Object.keys(j.fundusTrain)).toEqual(['version', 'commit']);
    expect(j.fundusTrain.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(j.fundusTrain.commit === null || /^[0-9a-f]{40}$/.test(j.fundusTrain.commit)).toBe(true);
    expect(j.node).toEqual({ version: process.version, v8: process.versions.v8 });
    expect(j.os).toEqual({
      platform: expect.any(String),
      release: expect.any(String),
      arch: expect.any(String),
      cpuModel: expect.any(String),
      cores: expect.any(Number),
      memoryGiB: expect.any(Number),
      freeMemoryGiB: expect.any(Number),
    });
    expect(j.tfjs).toEqual({ core: '4.22.0' });
    expect(j.backends.map((b: { name: string }) => b.name)).toEqual(['cuda', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
    for (const b of j.backends) expect(b).toEqual({ name: expect.any(String), available: expect.any(Boolean), detail: expect.any(String) });
    expect(j.backends.find((b: { name: string }) => b.name === 'cpu').available).toBe(true);
    expect(j.wasm).toEqual({ simd: expect.any(Boolean), threads: expect.any(Number), fma: process.env.FUNDUS_WASM_FMA !== '0' });
    if (j.webgpu.adapter == null) {
      expect(j.webgpu.reason).toEqual(expect.any(String));
    } else {
      expect(j.webgpu.reason).toBeNull();
      expect(j.webgpu.adapter).toEqual({
        name: expect.any(String),
        vendor: expect.any(String),
        architecture: expect.any(String),
        device: expect.any(String),
        description: expect.any(String),
        software: expect.any(Boolean),
        softwareReason: j.webgpu.adapter.software ? expect.any(String) : null,
        limits: expect.objectContaining({ maxStorageBufferBindingSize: expect.any(Number), maxBufferSize: expect.any(Number) }),
      });
    }
    expect(Object.keys(j.cuda.libraries)).toEqual(['libcudart.so.11.0', 'libcudnn.so.8']);
    const stringOrNull = (v: unknown) => (v === null ? null : expect.any(String));
    expect(j.cuda).toEqual({
      libraries: expect.any(Object),
      driverVersion: stringOrNull(j.cuda.driverVersion),
      driverCudaVersion: stringOrNull(j.cuda.driverCudaVersion),
      gpus: expect.any(Array),
    });
    for (const where of Object.values(j.cuda.libraries)) expect(where === null || typeof where === 'string').toBe(true);
    expect(j.sharp).toEqual({ sharp: expect.any(String), vips: expect.stringMatching(/^\d+\.\d+/) });
  });

  test('text: one line per fact, every backend listed', async () => {
    const r = await cli(['doctor']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^fundus-train \d+\.\d+\.\d+/);
    for (const name of ['cuda', 'tensorflow', 'webgpu', 'wasm', 'cpu'])
      expect(lines.some((l) => new RegExp(`^  ${name} +(available|not available): `).test(l))).toBe(true);
    expect(lines.some((l) => /^cuda libs +libcudart\.so\.11\.0 /.test(l))).toBe(true);
    expect(lines.some((l) => /^sharp +\S+ \(libvips \d/.test(l))).toBe(true);
  });

  test('no git and no CUDA on the faked system: commit null, libraries not found', async () => {
    const report = await collectDoctorReport(nothing);
    expect(report.fundusTrain.commit).toBeNull();
    expect(report.cuda).toEqual({
      libraries: { 'libcudart.so.11.0': null, 'libcudnn.so.8': null },
      driverVersion: null,
      driverCudaVersion: null,
      gpus: [],
    });
  });
});
