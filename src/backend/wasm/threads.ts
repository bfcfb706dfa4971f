import { hashText } from '../../util/hash';
import { makeDirs } from '../../util/fs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Multi-threaded XNNPACK for the wasm backend under Node.
 *
 * @tensorflow/tfjs-backend-wasm ships a threaded SIMD build, but turns it off in Node: its pthread workers
 * are started from Blob URLs, which Node's worker_threads cannot load. Everything else works in Node 20.
 * While the backend initialises, enableWasmThreads' patch:
 * - reports multithread support (the WASM_HAS_MULTITHREAD_SUPPORT flag);
 * - records the text of the two Blobs the backend creates (the pthread worker script and the module
 *   factory it loads) and hands the worker a real file instead of a Blob URL. The files are written
 *   once to the temp folder, named by the hash of their contents. The factory text refers to a few
 *   names of the bundle's scope (its `require`d modules and three TypeScript helpers); a prelude of our
 *   own supplies them in the worker;
 * - reports twice the requested thread count as logical cores: the backend sizes XNNPACK's pool as
 *   min(requested, logical cores / 2), assuming hyper-threading, which would give one thread on two cores.
 *
 * Measured on 2 cores: a [1576,192]·[192,768] product 13.3 → 7.6 ms, a 1×1 convolution of 8×112×112×32
 * to 96 channels 21.6 → 10.4 ms, a sigmoid of 9.6M values 18.5 → 9.7 ms. Only the exact package
 * version whose internals this was written against is patched; any other version stays single-threaded.
 */

/** The tfjs-backend-wasm version whose bundle internals the patch relies on. */
export const THREADED_WASM_VERSION = '4.22.0';

/** What the worker script does with the factory Blob it receives; replaced by loading our file. */
const WORKER_BLOB_IMPORT = 'var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)';
const FACTORY_PREFIX = 'var WasmBackendModuleThreadedSimd';

/**
 * Names the factory's text uses from the bundle's scope, defined for the worker: Node modules, the
 * global object, and the iteration helpers of TypeScript's down-levelled output (our own versions).
 */
const FACTORY_PRELUDE = [
  "var require$$0 = require('fs'), require$$1 = require('path'), require$$3 = require('perf_hooks'), require$$4 = require('os');",
  'var commonjsGlobal = globalThis;',
  'var __values = function (o) { return o[Symbol.iterator](); };',
  'var __read = function (o, n) { var all = Array.from(o); return n === undefined ? all : all.slice(0, n); };',
  'var __spreadArray = function (to, from) { return to.concat(Array.prototype.slice.call(from)); };',
  '',
].join('\n');

/** The threaded build starts 8 pthread workers and caps XNNPACK's pool there. */
export const MAX_WASM_THREADS = 8;

/** The number of threads the environment asks for: FUNDUS_WASM_THREADS, else every core (at most 8). */
export function requestedWasmThreads(): number {
  const fromEnv = process.env.FUNDUS_WASM_THREADS;
  let n = Math.max(1, os.cpus().length);
  if (fromEnv != null && fromEnv.trim() !== '') {
    const asked = Number(fromEnv);
    if (Number.isInteger(asked) && asked >= 1) n = asked;
  }
  return Math.min(n, MAX_WASM_THREADS);
}

/** Undoes what enableWasmThreads patched (call once the backend has initialised). */
export type RestoreGlobals = () => void;

/**
 * Prepares the next initialisation of the wasm backend to run XNNPACK on `threads` threads. Returns the
 * function that restores the patched globals, or a reason why threads stay off (then nothing was patched).
 * Call before tf.setBackend('wasm'); restore right after it resolved.
 */
export function enableWasmThreads(threads: number): { restore: RestoreGlobals } | { reason: string } {
  if (threads <= 1) return { reason: 'one thread requested' };
  const version = wasmPackageVersion();
  if (version !== THREADED_WASM_VERSION) {
    return {
      reason: `@tensorflow/tfjs-backend-wasm ${version ?? '(unknown version)'} is not ${THREADED_WASM_VERSION}, whose internals the thread patch knows`,
    };
  }
  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  if (typeof OriginalBlob !== 'function' || typeof originalCreateObjectURL !== 'function' || typeof SharedArrayBuffer !== 'function') {
    return { reason: 'this Node lacks Blob, URL.createObjectURL or SharedArrayBuffer' };
  }
  const texts = new WeakMap<object, string>();
  let factoryFile: string | undefined;
  class RecordingBlob extends OriginalBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts = args[0];
      if (parts?.every((p) => typeof p === 'string')) {
        const text = (parts as string[]).join('');
        texts.set(this, text);
        if (text.startsWith(FACTORY_PREFIX)) factoryFile = writeOnce('factory', FACTORY_PRELUDE + text);
      }
    }
  }
  const createObjectURL = (blob: Blob): string => {
    const text = texts.get(blob);
    if (text == null || factoryFile == null) return originalCreateObjectURL(blob);
    // Thrown inside the backend's initialisation, which then fails; the caller retries without threads.
    if (!text.includes(WORKER_BLOB_IMPORT)) throw new Error('the wasm worker script is not the one the thread patch knows');
    return writeOnce('worker', text.replace(WORKER_BLOB_IMPORT, `importScripts(${JSON.stringify(factoryFile)})`));
  };
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  // The module object itself (an `import *` namespace is a read-only copy).
  const nodeOs = require('os') as { cpus: typeof os.cpus };
  const originalCpus = nodeOs.cpus;
  const cpus = originalCpus();
  const reported = Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);

  globalThis.Blob = RecordingBlob as typeof Blob;
  URL.createObjectURL = createObjectURL;
  nodeOs.cpus = () => reported;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  return {
    restore: () => {
      globalThis.Blob = OriginalBlob;
      URL.createObjectURL = originalCreateObjectURL;
      nodeOs.cpus = originalCpus;
    },
  };
}

/**
 * Lets the process exit while XNNPACK's pool threads wait for work: emscripten keeps a worker that runs
 * a pthread referenced (Node does not exit while it runs), and the pool's threads never end.
 */
export function unrefWasmThreads(backend: tf.KernelBackend): void {
  const module = (backend as unknown as { wasm?: { PThread?: { runningWorkers?: { unref?: () => void }[] } } }).wasm;
  for (const worker of module?.PThread?.runningWorkers ?? []) worker.unref?.();
}

/** Turns the patch's flag off again (after a failed threaded start, before retrying without threads). */
export function disableWasmThreads(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(1);
}

function wasmPackageVersion(): string | undefined {
  try {
    return (require('@tensorflow/tfjs-backend-wasm/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Writes `text` to a temp file named by its hash unless it is there already; returns the path. */
function writeOnce(kind: string, text: string): string {
  const hash = hashText(text);
  const dir = path.join(os.tmpdir(), 'fundus-train-wasm-threads');
  const file = path.join(dir, `${kind}-${THREADED_WASM_VERSION}-${hash}.js`);
  if (fs.existsSync(file)) return file;
  // TMPDIR is the user's: makeDirs also fails in one line where recursive mkdir would spin (procfs).
  makeDirs(dir);
  // Several processes may start at once: write aside, then rename into place.
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, file);
  return file;
}
