import { Worker } from 'worker_threads';

/**
 * Runs native kernels (kernels.c) on several threads over the wasm backend's shared memory.
 *
 * With the threaded tfjs build (wasm/threads.ts) the backend's memory is shared, so a worker thread can
 * instantiate the same native module on it and work on the same tensors. A call covers `total` items
 * (rows, images or values) cut into chunks; this thread and every worker take chunks from a shared
 * counter until none are left, so a thread that gets less of a core (XNNPACK's pool threads spin for a
 * while after each of their calls) simply does fewer chunks. Chunks of one call never write the same
 * memory; kernels that sum over their items get one accumulator per thread (`perThread`), which the
 * caller combines. A worker is woken with Atomics.notify (a round trip costs about 70 µs), so small calls
 * stay on one thread. SiLU over 27M values: 2.6 → 1.3 ns per value.
 *
 * While the workers are starting (their first ~20 ms) or when the memory is not shared, everything runs
 * on the calling thread.
 */

/** A kernel call over the items [0, total), to be cut into chunks [start, end). */
export interface SplitCall {
  fn: string;
  /** the arguments for the whole range; pointers are byte offsets, so every value fits a float64 */
  args: number[];
  total: number;
  /** smallest worthwhile chunk, in items */
  minChunk: number;
  /** arguments that move with the chunk: args[index] + start·stride */
  offsets?: [index: number, stride: number][];
  /** argument that receives the chunk's length: min(end·unit, limit) − start·unit */
  count?: number;
  /** values per item for `count` (default 1), and the number of values (default total·unit) */
  unit?: number;
  limit?: number;
  /** arguments that receive start and end */
  start?: number;
  end?: number;
  /** arguments that differ per thread: args[index] = values[thread] (one value per possible thread) */
  perThread?: [index: number, values: number[]][];
}

const MAX_ARGS = 32;
/** Float64 slots of a worker's job: header (see write), offsets (index, stride) pairs, then the arguments. */
const HEADER = 10;
const MAX_OFFSETS = 8;
const JOB_SLOTS = HEADER + 2 * MAX_OFFSETS + MAX_ARGS;
/** Int32 slots of a worker's control block: request sequence, function index, ready flag, done sequence. */
const REQUEST = 0;
const FUNCTION = 1;
const READY = 2;
const DONE = 3;

/**
 * Runs chunks of the job in `job` (layout above) until the shared counter passes the last one. Source
 * text, so that this thread and the workers run the very same loop.
 */
const RUN_CHUNKS_SOURCE = `
  const nArgs = job[0], total = job[1], chunk = job[2], count = job[3], start = job[4], end = job[5], nOffsets = job[6];
  const unit = job[7], limit = job[8];
  const chunks = Math.ceil(total / chunk);
  const first = ${HEADER + 2 * MAX_OFFSETS};
  const base = Array.from(job.subarray(first, first + nArgs));
  const args = base.slice();
  for (let i = Atomics.add(counter, 0, 1); i < chunks; i = Atomics.add(counter, 0, 1)) {
    const s = i * chunk;
    const e = Math.min(total, s + chunk);
    for (let o = 0; o < nOffsets; o++) {
      const index = job[${HEADER} + 2 * o];
      args[index] = base[index] + s * job[${HEADER} + 2 * o + 1];
    }
    if (count >= 0) args[count] = Math.min(e * unit, limit) - s * unit;
    if (start >= 0) args[start] = s;
    if (end >= 0) args[end] = e;
    fn(...args);
  }
`;

type RunChunks = (fn: (...a: number[]) => void, job: Float64Array, counter: Int32Array) => void;
const runChunks = new Function('fn', 'job', 'counter', RUN_CHUNKS_SOURCE) as RunChunks;

/** The worker: instantiate the module on the shared memory, then serve jobs until the process ends. */
const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { memory, module, control, counterBuffer, names } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control, 0, 4);
const job = new Float64Array(control, 16, ${JOB_SLOTS});
const counter = new Int32Array(counterBuffer);
const runChunks = new Function('fn', 'job', 'counter', ${JSON.stringify(RUN_CHUNKS_SOURCE)});
Atomics.store(ctl, ${READY}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${REQUEST}, seen);
  const seq = Atomics.load(ctl, ${REQUEST});
  runChunks(k[names[Atomics.load(ctl, ${FUNCTION})]], job, counter);
  Atomics.store(ctl, ${DONE}, seq);
  Atomics.notify(ctl, ${DONE});
  seen = seq;
}
`;

interface WorkerSlot {
  ctl: Int32Array;
  job: Float64Array;
  seq: number;
}

export class NativePool {
  private readonly slots: WorkerSlot[] = [];
  private readonly names: string[];
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly localJob = new Float64Array(JOB_SLOTS);

  /**
   * @param exports the module instance of this thread
   * @param module the compiled module, instantiated again by each worker
   * @param workers how many worker threads to start (0: run everything here)
   */
  constructor(
    private readonly exports: Record<string, unknown>,
    module: object,
    memory: object,
    workers: number,
  ) {
    this.names = Object.keys(exports).filter((n) => typeof exports[n] === 'function');
    for (let i = 0; i < workers; i++) {
      const control = new SharedArrayBuffer(16 + 8 * JOB_SLOTS);
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { memory, module, control, counterBuffer: this.counter.buffer, names: this.names },
      });
      // The workers never end on their own; they must not keep the process alive.
      worker.unref();
      const slot = { ctl: new Int32Array(control, 0, 4), job: new Float64Array(control, 16, JOB_SLOTS), seq: 0 };
      // A worker that fails to start is never used (its ready flag stays 0); the error is not the caller's.
      worker.on('error', () => Atomics.store(slot.ctl, READY, -1));
      this.slots.push(slot);
    }
  }

  /** Threads a call can use now: this one plus the workers that have started. */
  get threads(): number {
    return 1 + this.readyWorkers().length;
  }

  /** Largest number of threads a call can ever use (for per-thread scratch). */
  get maxThreads(): number {
    return 1 + this.slots.length;
  }

  /** Runs the call's chunks on this thread and the ready workers; returns when all are done. */
  runSplit(call: SplitCall): void {
    if (call.args.length > MAX_ARGS || (call.offsets?.length ?? 0) > MAX_OFFSETS) throw new Error(`native pool cannot run ${call.fn}`);
    const fn = this.exports[call.fn] as (...a: number[]) => void;
    const index = this.names.indexOf(call.fn);
    if (typeof fn !== 'function' || index < 0) throw new Error(`native module has no ${call.fn}`);
    if (call.total <= 0) return;
    const workers = this.readyWorkers().slice(0, Math.max(0, Math.floor(call.total / Math.max(1, call.minChunk)) - 1));
    const threads = 1 + workers.length;
    // About 8 chunks per thread: enough to even out, few enough to keep the per-chunk overhead small.
    const chunk = threads === 1 ? call.total : Math.max(call.minChunk, Math.ceil(call.total / (8 * threads)));
    Atomics.store(this.counter, 0, 0);
    workers.forEach((slot, i) => this.post(slot, index, call, chunk, i + 1));
    this.write(this.localJob, call, chunk, 0);
    runChunks(fn, this.localJob, this.counter);
    workers.forEach((slot) => this.wait(slot));
  }

  private readyWorkers(): WorkerSlot[] {
    return this.slots.filter((s) => Atomics.load(s.ctl, READY) === 1);
  }

  /** Lays out a job for thread `thread` (see runChunks). */
  private write(job: Float64Array, call: SplitCall, chunk: number, thread: number): void {
    const offsets = call.offsets ?? [];
    const unit = call.unit ?? 1;
    job.set([
      call.args.length,
      call.total,
      chunk,
      call.count ?? -1,
      call.start ?? -1,
      call.end ?? -1,
      offsets.length,
      unit,
      call.limit ?? call.total * unit,
      0,
    ]);
    offsets.forEach(([i, stride], o) => {
      job[HEADER + 2 * o] = i;
      job[HEADER + 2 * o + 1] = stride;
    });
    const args = call.args.slice();
    for (const [i, values] of call.perThread ?? []) args[i] = values[thread];
    job.set(args, HEADER + 2 * MAX_OFFSETS);
  }

  private post(slot: WorkerSlot, index: number, call: SplitCall, chunk: number, thread: number): void {
    this.write(slot.job, call, chunk, thread);
    Atomics.store(slot.ctl, FUNCTION, index);
    slot.seq += 1;
    Atomics.store(slot.ctl, REQUEST, slot.seq);
    Atomics.notify(slot.ctl, REQUEST);
  }

  private wait(slot: WorkerSlot): void {
    for (;;) {
      const done = Atomics.load(slot.ctl, DONE);
      if (done === slot.seq) return;
      if (Atomics.load(slot.ctl, READY) === -1) throw new Error('a native kernel worker thread failed');
      Atomics.wait(slot.ctl, DONE, done, 1000);
    }
  }
}
