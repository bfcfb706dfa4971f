import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, describeBackend, initBackend, releaseBackend, RunningBackendName } from '../backend/select';
import { CUDA_LIBRARIES, CudaEnvironment, findCudaEnvironment, SystemProbe, realProbe } from '../backend/cuda-check';
import { packageVersion } from '../util/version';

/** What a bug report needs to know about this machine and installation (`fundus-train doctor`). */
export interface DoctorReport {
  fundusTrain: { version: string; commit: string | null };
  node: { version: string; v8: string };
  os: { platform: string; release: string; arch: string; cpuModel: string; cores: number; memoryGiB: number; freeMemoryGiB: number };
  tfjs: { core: string };
  /** every backend fundus-train knows, in `auto`'s order: whether it loads here, and why not */
  backends: { name: RunningBackendName; available: boolean; detail: string }[];
  wasm: { simd: boolean; threads: number; fma: boolean } | null;
  webgpu: {
    adapter: {
      name: string;
      vendor: string;
      architecture: string;
      device: string;
      description: string;
      /** a CPU implementation (SwiftShader, llvmpipe/lavapipe), not a GPU */
      software: boolean;
      softwareReason: string | null;
      limits: Record<string, number>;
    } | null;
    /** why there is no adapter (null when there is one) */
    reason: string | null;
  };
  cuda: { libraries: Record<string, string | null>; driverVersion: string | null; driverCudaVersion: string | null; gpus: string[] };
  sharp: { sharp: string; vips: string } | null;
}

const round1 = (bytes: number): number => Math.round((bytes / 2 ** 30) * 10) / 10;

/**
 * Collects the report. Tries every backend in turn (and leaves none running: releaseBackend at the
 * end), so it takes a few seconds; `probe` fakes the system look-ups in tests.
 */
export async function collectDoctorReport(probe: SystemProbe = realProbe): Promise<DoctorReport> {
  const cpus = os.cpus();
  const report: DoctorReport = {
    fundusTrain: { version: packageVersion(), commit: gitCommit(probe) },
    node: { version: process.version, v8: process.versions.v8 },
    os: {
      platform: os.platform(),
      release: os.release(),
      arch: os.arch(),
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      cores: os.availableParallelism?.() ?? cpus.length,
      memoryGiB: round1(os.totalmem()),
      freeMemoryGiB: round1(os.freemem()),
    },
    tfjs: { core: tf.version_core },
    backends: [],
    wasm: null,
    webgpu: { adapter: null, reason: null },
    cuda: cudaSection(findCudaEnvironment(probe)),
    sharp: sharpVersions(),
  };
  const previous = tf.getBackend();
  try {
    for (const name of BACKEND_NAMES) {
      if (name === 'auto') continue;
      await tryOne(name, report);
    }
  } finally {
    releaseBackend();
    if (previous != null && tf.findBackend(previous) != null) await tf.setBackend(previous);
  }
  return report;
}

async function tryOne(name: RunningBackendName, report: DoctorReport): Promise<void> {
  try {
    const info = await initBackend(name);
    report.backends.push({ name, available: true, detail: info.message });
    if (name === 'wasm') report.wasm = (await describeBackend(info)).wasm ?? null;
    if (name === 'webgpu' && info.adapter != null) {
      const a = info.adapter;
      report.webgpu.adapter = {
        name: a.name,
        vendor: a.identity.vendor,
        architecture: a.identity.architecture,
        device: a.identity.device,
        description: a.identity.description,
        software: a.software != null,
        softwareReason: a.software ?? null,
        limits: a.limits,
      };
    }
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    report.backends.push({ name, available: false, detail: reason });
    if (name === 'webgpu') report.webgpu.reason = reason;
  }
}

function cudaSection(env: CudaEnvironment): DoctorReport['cuda'] {
  const libraries: Record<string, string | null> = {};
  for (const l of CUDA_LIBRARIES) libraries[l] = env.libraries[l] ?? null;
  return { libraries, driverVersion: env.driverVersion ?? null, driverCudaVersion: env.driverCudaVersion ?? null, gpus: env.gpus };
}

function sharpVersions(): DoctorReport['sharp'] {
  try {
    const versions = (require('sharp') as { versions: { sharp?: string; vips: string } }).versions;
    return { sharp: versions.sharp ?? packageJsonVersion('sharp') ?? 'unknown', vips: versions.vips };
  } catch {
    return null;
  }
}

function packageJsonVersion(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * The commit of the fundus-train checkout this code runs from; null when it is not one (an installed
 * package inside some other project's repository must not report that project's commit).
 */
function gitCommit(probe: SystemProbe): string | null {
  const out = probe.exec('git', ['-C', __dirname, 'rev-parse', '--show-toplevel', 'HEAD']);
  const [top, commit] = (out ?? '').trim().split('\n');
  if (top == null || commit == null) return null;
  const pkg = probe.readFile(path.join(top, 'package.json'));
  return pkg != null && /"name"\s*:\s*"fundus-train"/.test(pkg) ? commit : null;
}
