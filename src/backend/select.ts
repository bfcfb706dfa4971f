import * as tf from '@tensorflow/tfjs-core';
import { nativeModule } from './wasm/native/module';
import { UserError } from '../util/errors';
import { registerGradients } from './gradients';
import { registerWasmTrainingKernels } from './wasm';
import { heapMeter } from './wasm/heap-meter';
import { disableWasmThreads, enableWasmThreads, requestedWasmThreads, unrefWasmThreads } from './wasm/threads';
import { AdapterReport, findAdapter, registeredAdapter, registerWebGpuBackend, releaseWebGpu } from './webgpu';
import { cudaCheck } from './cuda-check';

/** The backends a config or `--backend` may name; `auto` takes the first of the others that loads. */
export const BACKEND_NAMES = ['auto', 'cuda', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** A backend that actually runs (never `auto`). */
export type RunningBackendName = Exclude<BackendName, 'auto'>;

/**
 * The order `auto` tries them in: fastest first, the pure-JS cpu backend only as the last resort.
 * `auto` takes webgpu only on a real GPU (a software adapter is slower than wasm).
 */
export const AUTO_ORDER: readonly RunningBackendName[] = ['cuda', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface BackendAttempt {
  name: RunningBackendName;
  ok: boolean;
  /** why it could not be used (absent when ok) */
  reason?: string;
}

export interface BackendInfo {
  /** the backend that runs */
  name: RunningBackendName;
  /** tf.getBackend(): 'tensorflow' for cuda and tensorflow, else the same as name */
  tfBackend: string;
  /** every backend tried, in order, up to and including the one taken */
  tried: BackendAttempt[];
  /** one line for the user: which backend runs, and why the ones before it did not */
  message: string;
  /**
   * whether tfjs-core's gradient functions are registered (training needs them; see gradients.ts).
   * When false, `message` says what to install and registerGradients() throws that error.
   */
  gradients: boolean;
  /** the WebGPU adapter, when webgpu was tried and one was found */
  adapter?: AdapterReport;
  /** for cuda: one line saying which GPU TensorFlow uses, or a warning that it runs on the CPU and why */
  cuda?: string;
}

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

/** What each backend is, for messages. */
const DESCRIPTION: Record<RunningBackendName, string> = {
  cuda: 'libtensorflow with CUDA, via @tensorflow/tfjs-node-gpu',
  tensorflow: 'libtensorflow on the CPU, via @tensorflow/tfjs-node',
  webgpu: 'TensorFlow.js WebGPU on Dawn',
  wasm: "TensorFlow.js WebAssembly, with fundus-train's training kernels",
  cpu: 'TensorFlow.js pure JavaScript, far too slow to train real models',
};

/** The npm package behind each native backend (both optional dependencies). */
const NATIVE_PACKAGE = { cuda: '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;

/** Why a native backend is missing, in the words the user needs. */
const NOT_INSTALLED = (pkg: string): string =>
  `${pkg} is not installed (its install needs libtensorflow, downloaded from storage.googleapis.com during npm install; ` +
  'npm skips this optional dependency when that download fails)';

let current: { requested: BackendName; info: BackendInfo } | undefined;

/**
 * Selects and initialises a TensorFlow.js backend. `auto` tries cuda, tensorflow, wasm and cpu in that
 * order and takes the first that loads. Naming cuda or tensorflow when it cannot load is a UserError
 * saying what to install or which backend to use instead. Calling it again with the same request
 * returns the same answer without re-initialising.
 */
export async function initBackend(requested: BackendName): Promise<BackendInfo> {
  if (!isBackendName(requested)) {
    throw new UserError(`unknown backend '${String(requested)}': use one of ${BACKEND_NAMES.join(', ')}`);
  }
  if (current != null && current.requested === requested && tf.getBackend() === current.info.tfBackend) {
    return current.info;
  }
  const candidates = requested === 'auto' ? AUTO_ORDER : [requested];
  const tried: BackendAttempt[] = [];
  const context: TryContext = { auto: requested === 'auto' };
  for (const name of candidates) {
    const failure = await tryBackend(name, context);
    if (failure == null) {
      tried.push({ name, ok: true });
      const gradientProblem = gradientsProblem();
      let message = selectionMessage(name, tried, context) + (gradientProblem == null ? '' : `; cannot train: ${gradientProblem}`);
      const info: BackendInfo = { name, tfBackend: tf.getBackend(), tried, message, gradients: gradientProblem == null };
      if (context.adapter != null) info.adapter = context.adapter;
      if (name === 'cuda') {
        info.cuda = (await cudaCheck()).line;
        message += `; ${info.cuda}`;
      }
      info.message = message;
      current = { requested, info };
      return info;
    }
    tried.push({ name, ok: false, reason: failure });
  }
  throw new UserError(unavailableMessage(requested, tried));
}

/**
 * Ends what the active backend holds outside the JS heap that would keep Node alive (Dawn's device, for
 * webgpu). Call at the end of a command; a later initBackend starts afresh.
 */
export function releaseBackend(): void {
  releaseWebGpu();
  current = undefined;
}

/** What one initBackend call learns while trying backends. */
interface TryContext {
  auto: boolean;
  /** the WebGPU adapter Dawn found, once webgpu was tried */
  adapter?: AdapterReport;
}

/** Registers tfjs-core's gradients; returns why that is impossible, or undefined once they are registered. */
function gradientsProblem(): string | undefined {
  try {
    registerGradients();
    return undefined;
  } catch (e) {
    return firstLine(e);
  }
}

/** Loads and activates one backend; returns why it failed, or undefined when it runs. */
async function tryBackend(name: RunningBackendName, context: TryContext): Promise<string | undefined> {
  try {
    switch (name) {
      case 'cuda':
      case 'tensorflow': {
        const pkg = NATIVE_PACKAGE[name];
        const missing = loadOptional(pkg);
        if (missing != null) return missing;
        // Both native packages register themselves as tfjs backend 'tensorflow'.
        return await activate('tensorflow');
      }
      case 'webgpu':
        return await activateWebGpu(context);
      case 'wasm': {
        require('@tensorflow/tfjs-backend-wasm');
        registerWasmTrainingKernels();
        const failure = await activateWasm();
        // A full heap then throws instead of handing out address 0 (wasm/heap-meter.ts).
        if (failure == null) heapMeter(tf.backend());
        return failure;
      }
      case 'cpu': {
        require('@tensorflow/tfjs-backend-cpu');
        return await activate('cpu');
      }
    }
  } catch (e) {
    return `failed to load: ${firstLine(e)}`;
  }
}

/** requires an optional package; returns why it is unusable, or undefined once loaded */
function loadOptional(pkg: string): string | undefined {
  try {
    require(pkg);
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // MODULE_NOT_FOUND for the package itself means npm skipped it; for anything else it is broken.
    if (err.code === 'MODULE_NOT_FOUND' && firstLine(e).includes(`'${pkg}'`)) return NOT_INSTALLED(pkg);
    return `${pkg} is installed but failed to load: ${firstLine(e)}`;
  }
}

async function activate(tfName: string): Promise<string | undefined> {
  if (tf.findBackendFactory(tfName) == null) return `no TensorFlow.js backend '${tfName}' was registered`;
  const ok = await tf.setBackend(tfName);
  if (!ok) return `TensorFlow.js could not initialise backend '${tfName}'`;
  await tf.ready();
  return undefined;
}

/**
 * Finds Dawn's adapter and runs tfjs-webgpu on it. `auto` refuses a software adapter (SwiftShader,
 * llvmpipe/lavapipe: shaders run on the CPU, slower than wasm); naming webgpu takes it anyway.
 */
async function activateWebGpu(context: TryContext): Promise<string | undefined> {
  const running = registeredAdapter();
  if (running != null && tf.engine().registry.webgpu != null) {
    context.adapter = running;
    if (context.auto && running.software != null) return notAGpu(running);
    return activate('webgpu');
  }
  const found = await findAdapter();
  if (typeof found === 'string') return found;
  context.adapter = found.report;
  if (context.auto && found.report.software != null) return notAGpu(found.report);
  registerWebGpuBackend(found);
  const failure = await activate('webgpu');
  if (failure != null) releaseWebGpu();
  return failure;
}

function notAGpu(adapter: AdapterReport): string {
  return `adapter '${adapter.name}' is not a GPU (${adapter.software}): it would be slower than wasm; --backend webgpu uses it anyway`;
}

/** Starts wasm with XNNPACK on every core (wasm/threads.ts), or single-threaded when that cannot be. */
async function activateWasm(): Promise<string | undefined> {
  // Already initialised (threads are decided once per process): just switch to it.
  if (tf.engine().registry.wasm != null) return activate('wasm');
  const threads = enableWasmThreads(requestedWasmThreads());
  if ('reason' in threads) return activate('wasm');
  let failure: string | undefined;
  try {
    failure = await activate('wasm');
  } finally {
    threads.restore();
  }
  if (failure == null) {
    unrefWasmThreads(tf.backend());
    return undefined;
  }
  disableWasmThreads();
  return activate('wasm');
}

function selectionMessage(name: RunningBackendName, tried: BackendAttempt[], context: TryContext): string {
  const skipped = tried.filter((t) => !t.ok).map((t) => `${t.name}: ${t.reason}`);
  const why = skipped.length === 0 ? '' : `; not taken: ${skipped.join('; ')}`;
  const note = name === 'wasm' ? wasmThreadsNote() : name === 'webgpu' ? webGpuNote(context.adapter) : '';
  return `backend ${name} (${DESCRIPTION[name]}${note})${why}`;
}

function webGpuNote(adapter: AdapterReport | undefined): string {
  if (adapter == null) return '';
  const kind = adapter.software == null ? 'a GPU' : 'a software adapter, not a GPU: correct but slow';
  return `, adapter '${adapter.name}', ${kind}`;
}

function unavailableMessage(requested: BackendName, tried: BackendAttempt[]): string {
  const reasons = tried.map((t) => `${t.name}: ${t.reason}`).join('; ');
  if (requested === 'cuda' || requested === 'tensorflow') {
    const pkg = NATIVE_PACKAGE[requested];
    const extra = requested === 'cuda' ? ' with CUDA and cuDNN present' : '';
    return (
      `backend ${requested} is not available (${reasons}); install it with \`npm install ${pkg}\` on a machine that can reach ` +
      `storage.googleapis.com${extra}, or use --backend wasm (or auto)`
    );
  }
  return `backend ${requested} is not available (${reasons}); use --backend auto`;
}

function wasmThreadsNote(): string {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  const n = wasm.getThreadsCount();
  return `, ${n} thread${n === 1 ? '' : 's'}`;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].trim();
}

/** Facts about the running backend for a run's manifest.json. */
export interface BackendDescription {
  backend: RunningBackendName | 'unknown';
  tfBackend: string;
  tfjsVersion: string;
  /** version of the package providing the backend */
  packageVersion?: string;
  /** fma: whether the native kernels' matrix products use relaxed SIMD's fused multiply-add */
  wasm?: { simd: boolean; threads: number; fma: boolean };
  /** the WebGPU adapter (name, whether software, limits) */
  adapter?: AdapterReport;
}

/** Describes the active backend (call after initBackend). */
export async function describeBackend(info?: BackendInfo): Promise<BackendDescription> {
  const tfBackend = tf.getBackend();
  const name = info?.name ?? (isBackendName(tfBackend) && tfBackend !== 'auto' ? tfBackend : 'unknown');
  const description: BackendDescription = { backend: name, tfBackend, tfjsVersion: tf.version_core };
  const pkg =
    name === 'cuda' || name === 'tensorflow'
      ? NATIVE_PACKAGE[name]
      : name === 'wasm'
        ? '@tensorflow/tfjs-backend-wasm'
        : name === 'webgpu'
          ? '@tensorflow/tfjs-backend-webgpu'
          : name === 'cpu'
            ? '@tensorflow/tfjs-backend-cpu'
            : undefined;
  if (pkg != null) description.packageVersion = packageVersion(pkg);
  if (info?.adapter != null && name === 'webgpu') description.adapter = info.adapter;
  if (tfBackend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    description.wasm = {
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threads: wasm.getThreadsCount(),
      fma: nativeModule(tf.backend())?.fma ?? false,
    };
  }
  return description;
}

function packageVersion(pkg: string): string | undefined {
  try {
    return (require(`${pkg}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
