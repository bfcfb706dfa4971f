import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { UserError } from '../../util/errors';
import { makeDirs } from '../../util/fs';
import { fundusTrainBin } from '../cli-path';
import type { Plan, PlanRow } from '../plan';
import { runState, taskDone } from '../run-files';

export type LocalEvent =
  | { type: 'start'; row: PlanRow; child: ChildProcess; running: number }
  | { type: 'epoch'; row: PlanRow; line: string }
  | { type: 'exit'; row: PlanRow; code: number | null; signal: NodeJS.Signals | null };

export interface LocalOptions {
  /** Runs at once (default 1). */
  parallel?: number;
  /** CPU cores to share (default: this machine's). */
  cores?: number;
  /** Progress lines (default stdout). */
  write?: (line: string) => void;
  /** Sees every child start, epoch line and exit (tests use it to kill one). */
  onEvent?: (event: LocalEvent) => void;
}

export interface RunOutcome {
  row: PlanRow;
  /** skipped: already done; ok; failed (exit code or signal). */
  status: 'skipped' | 'ok' | 'failed';
  exit?: string;
  log: string;
  /** Seconds from the child's start to its first epoch line (null when it printed none). */
  firstEpochSeconds: number | null;
  seconds: number;
}

export interface LocalSummary {
  outcomes: RunOutcome[];
  seconds: number;
  parallel: number;
  threads: number;
  /** The most children that ran at once. */
  maxRunning: number;
}

export function logFile(plan: Plan, row: PlanRow): string {
  return path.join(plan.dir, 'logs', `${row.name}.log`);
}

/** Threads per child so that parallel x threads <= cores. */
export function threadsPerRun(parallel: number, cores: number): number {
  if (!Number.isInteger(parallel) || parallel < 1) throw new UserError(`--parallel must be a whole number >= 1, got ${parallel}`);
  if (parallel > cores) throw new UserError(`--parallel ${parallel} is more than this machine's ${cores} cores: give at most ${cores}`);
  return Math.floor(cores / parallel);
}

/**
 * The local executor: runs the plan's unfinished rows as child processes (`fundus-train sweep
 * --task I`), at most `parallel` at once, each with FUNDUS_WASM_THREADS = cores / parallel.
 * Finished runs are skipped; interrupted ones resume (the task decides). One line per run
 * event and a summary line; each child's output goes to logs/<run>.log.
 */
export async function runLocal(plan: Plan, options: LocalOptions = {}): Promise<LocalSummary> {
  const parallel = options.parallel ?? 1;
  const cores = options.cores ?? os.availableParallelism();
  const threads = threadsPerRun(parallel, cores);
  const write = options.write ?? ((l: string) => process.stdout.write(l + '\n'));
  const bin = fundusTrainBin();
  const total = plan.rows.length;
  const started = Date.now();
  const outcomes: RunOutcome[] = [];
  const queue: PlanRow[] = [];
  for (const row of plan.rows) {
    if (taskDone(row)) {
      outcomes.push({ row, status: 'skipped', log: logFile(plan, row), firstEpochSeconds: null, seconds: 0 });
      write(`[${row.index + 1}/${total}] ${row.name}: already done, skipped`);
    } else queue.push(row);
  }
  let running = 0;
  let maxRunning = 0;
  const runOne = (row: PlanRow): Promise<void> =>
    new Promise((resolve) => {
      const log = logFile(plan, row);
      makeDirs(path.dirname(log));
      const out = fs.createWriteStream(log, { flags: 'a' });
      const tag = `[${row.index + 1}/${total}] ${row.name}`;
      const t0 = Date.now();
      let firstEpoch: number | null = null;
      let lastError = '';
      write(`${tag}: ${runState(row.runDir) === 'interrupted' ? 'resuming' : 'starting'} (${threads} thread${threads > 1 ? 's' : ''})`);
      const child = spawn(process.execPath, [bin, 'sweep', '--task', String(row.index), '--out', plan.dir], {
        env: { ...process.env, FUNDUS_WASM_THREADS: String(threads) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      running++;
      maxRunning = Math.max(maxRunning, running);
      options.onEvent?.({ type: 'start', row, child, running });
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        out.write(line + '\n');
        if (/^epoch \d+\/\d+/.test(line)) {
          firstEpoch ??= (Date.now() - t0) / 1000;
          write(`${tag}: ${line.split(' | ').slice(0, 4).join(' | ')}`);
          options.onEvent?.({ type: 'epoch', row, line });
        }
      });
      readline.createInterface({ input: child.stderr! }).on('line', (line) => {
        out.write(line + '\n');
        if (line.trim()) lastError = line.trim();
      });
      child.on('close', (code, signal) => {
        running--;
        out.end();
        const seconds = (Date.now() - t0) / 1000;
        const ok = code === 0;
        const exit = signal ? `killed by ${signal}` : `exit ${code}`;
        outcomes.push({ row, status: ok ? 'ok' : 'failed', exit: ok ? undefined : exit, log, firstEpochSeconds: firstEpoch, seconds });
        write(ok ? `${tag}: done in ${seconds.toFixed(1)} s` : `${tag}: FAILED (${exit}${lastError ? `: ${lastError}` : ''}); log ${log}`);
        options.onEvent?.({ type: 'exit', row, code, signal });
        resolve();
      });
    });
  const workers = Array.from({ length: Math.min(parallel, queue.length) }, async () => {
    for (let row = queue.shift(); row; row = queue.shift()) await runOne(row);
  });
  await Promise.all(workers);
  outcomes.sort((a, b) => a.row.index - b.row.index);
  const seconds = (Date.now() - started) / 1000;
  const count = (s: RunOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  write(
    `${total} runs: ${count('ok')} done, ${count('skipped')} skipped, ${count('failed')} failed in ${seconds.toFixed(1)} s ` +
      `(${parallel} at a time, ${threads} thread${threads > 1 ? 's' : ''} each)`,
  );
  return { outcomes, seconds, parallel, threads, maxRunning };
}
