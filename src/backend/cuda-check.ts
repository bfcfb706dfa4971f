import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Whether @tensorflow/tfjs-node-gpu really runs on a GPU. Its libtensorflow 2.9.1 is built for CUDA
 * 11.2 and cuDNN 8.1 and loads `libcudart.so.11.0` and `libcudnn.so.8` by name; when either is missing
 * (typical with CUDA 12 toolkits) it silently runs every op on the CPU. This says so, and why.
 */

/** The libraries libtensorflow 2.9.1 dlopens for the GPU, by the exact names it asks for. */
export const CUDA_LIBRARIES = ['libcudart.so.11.0', 'libcudnn.so.8'] as const;

/** What the check reads from the system; injected so the check can be tested with faked look-ups. */
export interface SystemProbe {
  env: Record<string, string | undefined>;
  /** a directory's entries, or [] when it cannot be read */
  listDir(dir: string): string[];
  /** a file's text, or undefined */
  readFile(file: string): string | undefined;
  /** a command's stdout, or undefined when it is absent or fails (bounded in time) */
  exec(command: string, args: string[]): string | undefined;
}

export const realProbe: SystemProbe = {
  env: process.env,
  listDir: (dir) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  },
  readFile: (file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  exec: (command, args) => {
    const r = childProcess.spawnSync(command, args, { encoding: 'utf8', timeout: 10_000, maxBuffer: 4 << 20 });
    return r.status === 0 && typeof r.stdout === 'string' ? r.stdout : undefined;
  },
};

export interface CudaEnvironment {
  /** each needed library and where it was found (undefined: not found) */
  libraries: Record<(typeof CUDA_LIBRARIES)[number], string | undefined>;
  /** NVIDIA kernel driver version (/proc/driver/nvidia/version or nvidia-smi) */
  driverVersion?: string;
  /** the highest CUDA version the driver supports, from nvidia-smi */
  driverCudaVersion?: string;
  /** GPU names from nvidia-smi */
  gpus: string[];
}

/** Directories the dynamic loader searches besides its cache: LD_LIBRARY_PATH, then the usual CUDA homes. */
function searchDirs(probe: SystemProbe): string[] {
  const fromEnv = (probe.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  const cudaHomes = probe
    .listDir('/usr/local')
    .filter((d) => /^cuda/.test(d))
    .map((d) => path.join('/usr/local', d));
  const fromHomes = cudaHomes.flatMap((home) => [path.join(home, 'lib64'), path.join(home, 'lib')]);
  return [...fromEnv, ...fromHomes, '/usr/lib/x86_64-linux-gnu', '/usr/lib64'];
}

/** Parses `ldconfig -p`: library name -> path, for the names asked about. */
function fromLdconfig(probe: SystemProbe, names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const text = probe.exec('ldconfig', ['-p']) ?? probe.exec('/sbin/ldconfig', ['-p']) ?? '';
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s.*=>\s*(\S+)\s*$/.exec(line);
    if (m != null && names.includes(m[1]) && !out.has(m[1])) out.set(m[1], m[2]);
  }
  return out;
}

/** Looks up the CUDA libraries, the NVIDIA driver and its GPUs. */
export function findCudaEnvironment(probe: SystemProbe = realProbe): CudaEnvironment {
  const cached = fromLdconfig(probe, CUDA_LIBRARIES);
  const dirs = searchDirs(probe);
  const libraries = {} as CudaEnvironment['libraries'];
  for (const name of CUDA_LIBRARIES) {
    libraries[name] = cached.get(name) ?? dirs.filter((d) => probe.listDir(d).includes(name)).map((d) => path.join(d, name))[0];
  }
  const env: CudaEnvironment = { libraries, gpus: [] };
  const proc = probe.readFile('/proc/driver/nvidia/version');
  const procVersion = proc == null ? undefined : /Kernel Module(?: for \S+)?\s+([0-9.]+)/.exec(proc)?.[1];
  if (procVersion != null) env.driverVersion = procVersion;
  const smi = probe.exec('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader']);
  if (smi != null) {
    for (const line of smi
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')) {
      const [name, version] = line.split(',').map((p) => p.trim());
      env.gpus.push(name);
      env.driverVersion ??= version;
    }
    const banner = probe.exec('nvidia-smi', []) ?? '';
    const cuda = /CUDA Version:\s*([0-9.]+)/.exec(banner)?.[1];
    if (cuda != null) env.driverCudaVersion = cuda;
  }
  return env;
}

export interface CudaVerdict {
  /** TensorFlow runs on a GPU */
  onGpu: boolean;
  /** one line for the user: the GPU's name, or a warning that it runs on the CPU, why, and the fix */
  line: string;
}

const FIX =
  'install the CUDA 11.8 and cuDNN 8.9 runtime libraries (they keep the names libcudart.so.11.0 and libcudnn.so.8; ' +
  'put their directory on LD_LIBRARY_PATH), or use backend: webgpu, which needs no CUDA';

/**
 * The verdict from what TensorFlow reports (`tfSeesGpu`: its device list has a GPU) and the system's
 * libraries: the GPU's name, or why it is on the CPU.
 */
export function cudaVerdict(tfSeesGpu: boolean, env: CudaEnvironment): CudaVerdict {
  if (tfSeesGpu) {
    const name = env.gpus.length > 0 ? env.gpus.join(', ') : 'a GPU (nvidia-smi not found, so its name is unknown)';
    return { onGpu: true, line: `cuda: TensorFlow runs on ${name}` };
  }
  const missing = CUDA_LIBRARIES.filter((l) => env.libraries[l] == null);
  const driver =
    env.driverVersion == null
      ? 'no NVIDIA driver found (no /proc/driver/nvidia/version, no nvidia-smi)'
      : `NVIDIA driver ${env.driverVersion}${env.driverCudaVersion == null ? '' : ` (CUDA ${env.driverCudaVersion})`}` +
        (env.gpus.length > 0 ? `, ${env.gpus.join(', ')}` : '');
  let why: string;
  if (env.driverVersion == null && env.gpus.length === 0) why = driver;
  else if (missing.length > 0) why = `${missing.join(' and ')} not found by the loader (ldconfig, LD_LIBRARY_PATH, /usr/local/cuda*); ${driver}`;
  else if (env.driverCudaVersion != null && Number(env.driverCudaVersion.split('.')[0]) < 11) why = `${driver} is older than CUDA 11.2 needs`;
  else why = `the libraries are present (${CUDA_LIBRARIES.map((l) => env.libraries[l]).join(', ')}) but TensorFlow did not take the GPU; ${driver}`;
  return { onGpu: false, line: `WARNING: cuda is running on the CPU, not the GPU: ${why}. Fix: ${FIX}` };
}

/** Whether the active tfjs-node(-gpu) backend says it uses a GPU device (its binding lists TF's devices). */
export function tensorflowUsesGpu(): boolean {
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  return backend.isUsingGpuDevice === true;
}

/** Checks the running cuda backend; `usesGpu` and `probe` are injectable for tests. */
export async function cudaCheck(
  usesGpu: () => boolean = tensorflowUsesGpu,
  probe: SystemProbe = realProbe,
): Promise<CudaVerdict & { environment: CudaEnvironment }> {
  const environment = findCudaEnvironment(probe);
  return { ...cudaVerdict(usesGpu(), environment), environment };
}
