import { cudaCheck, cudaVerdict, findCudaEnvironment, SystemProbe } from '../../src/backend/cuda-check';

/** A machine described by its files, directories and command outputs. */
function fakeProbe(o: {
  files?: Record<string, string>;
  dirs?: Record<string, string[]>;
  commands?: Record<string, string>;
  env?: Record<string, string>;
}): SystemProbe {
  return {
    env: o.env ?? {},
    listDir: (d) => o.dirs?.[d] ?? [],
    readFile: (f) => o.files?.[f],
    exec: (c, args) => o.commands?.[[c, ...args].join(' ')],
  };
}

const SMI_QUERY = 'nvidia-smi --query-gpu=name,driver_version --format=csv,noheader';
const SMI_BANNER = '| NVIDIA-SMI 550.54.14   Driver Version: 550.54.14   CUDA Version: 12.4 |';
const PROC = 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024\n';

/** A CUDA 12 workstation: driver and GPU present, only CUDA 12 libraries installed. */
const cuda12 = {
  files: { '/proc/driver/nvidia/version': PROC },
  dirs: { '/usr/local': ['cuda', 'cuda-12.4', 'bin'], '/usr/local/cuda-12.4/lib64': ['libcudart.so.12', 'libcudnn.so.9'] },
  commands: {
    [SMI_QUERY]: 'NVIDIA H100 80GB HBM3, 550.54.14\n',
    'nvidia-smi': SMI_BANNER,
    'ldconfig -p': '\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/lib64/libcudart.so.12\n',
  },
};

describe('cuda truth check (faked look-ups)', () => {
  test('CUDA 12 only: warns that it runs on the CPU, names both missing libraries, the driver and the fix', async () => {
    const r = await cudaCheck(() => false, fakeProbe(cuda12));
    expect(r.onGpu).toBe(false);
    expect(r.environment).toEqual({
      libraries: { 'libcudart.so.11.0': undefined, 'libcudnn.so.8': undefined },
      driverVersion: '550.54.14',
      driverCudaVersion: '12.4',
      gpus: ['NVIDIA H100 80GB HBM3'],
    });
    expect(r.line.split('\n')).toHaveLength(1);
    expect(r.line).toMatch(/^WARNING: cuda is running on the CPU, not the GPU: libcudart\.so\.11\.0 and libcudnn\.so\.8 not found/);
    expect(r.line).toContain('NVIDIA driver 550.54.14 (CUDA 12.4), NVIDIA H100 80GB HBM3');
    expect(r.line).toContain('CUDA 11.8 and cuDNN 8.9');
    expect(r.line).toContain('backend: webgpu');
  });

  test('finds libcudart in the loader cache and libcudnn on LD_LIBRARY_PATH; only what is missing is named', () => {
    const probe = fakeProbe({
      ...cuda12,
      env: { LD_LIBRARY_PATH: '/opt/cudnn/lib:/nowhere' },
      dirs: { ...cuda12.dirs, '/opt/cudnn/lib': ['libcudnn.so.8', 'libcudnn.so.8.9.7'] },
      commands: { ...cuda12.commands, 'ldconfig -p': '\tlibcudart.so.11.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudart.so.11.0\n' },
    });
    const env = findCudaEnvironment(probe);
    expect(env.libraries).toEqual({
      'libcudart.so.11.0': '/usr/lib/x86_64-linux-gnu/libcudart.so.11.0',
      'libcudnn.so.8': '/opt/cudnn/lib/libcudnn.so.8',
    });
    expect(cudaVerdict(false, env).line).toContain(
      'the libraries are present (/usr/lib/x86_64-linux-gnu/libcudart.so.11.0, /opt/cudnn/lib/libcudnn.so.8)',
    );
    const onlyCudnnMissing = findCudaEnvironment(
      fakeProbe({ ...cuda12, commands: { ...cuda12.commands, 'ldconfig -p': '\tlibcudart.so.11.0 (libc6,x86-64) => /x/libcudart.so.11.0\n' } }),
    );
    expect(cudaVerdict(false, onlyCudnnMissing).line).toMatch(/: libcudnn\.so\.8 not found by the loader/);
  });

  test('/usr/local/cuda-11.8/lib64 is searched', () => {
    const env = findCudaEnvironment(fakeProbe({ dirs: { '/usr/local': ['cuda-11.8'], '/usr/local/cuda-11.8/lib64': ['libcudart.so.11.0'] } }));
    expect(env.libraries['libcudart.so.11.0']).toBe('/usr/local/cuda-11.8/lib64/libcudart.so.11.0');
  });

  test('no NVIDIA driver at all: says so', async () => {
    const r = await cudaCheck(() => false, fakeProbe({}));
    expect(r.environment.gpus).toEqual([]);
    expect(r.line).toContain('no NVIDIA driver found (no /proc/driver/nvidia/version, no nvidia-smi)');
  });

  test('TensorFlow sees the GPU: prints its name', async () => {
    const r = await cudaCheck(() => true, fakeProbe(cuda12));
    expect(r).toMatchObject({ onGpu: true, line: 'cuda: TensorFlow runs on NVIDIA H100 80GB HBM3' });
  });
});
