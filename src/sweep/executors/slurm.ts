import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { makeDirs, writeFileAtomic, writeJsonAtomic } from '../../util/fs';
import { fundusTrainBin } from '../cli-path';
import type { Plan, PlanRow } from '../plan';
import { taskDone } from '../run-files';

/** One sbatch submission: which plan rows it holds. */
export interface Submission {
  jobId: string;
  indices: number[];
  at: string;
}

/** Where a row stands: done, in the queue (squeue's state), or ended without finishing. */
export interface TaskStatus {
  row: PlanRow;
  state: 'done' | 'queued' | 'failed' | 'stopped' | 'not submitted';
  /** squeue's state (PENDING, RUNNING, ...) while queued; the exit code when failed. */
  detail?: string;
  /** The log of its latest submission. */
  log?: string;
}

const slurmDir = (plan: Plan) => path.join(plan.dir, 'slurm');
const jobsFile = (plan: Plan) => path.join(slurmDir(plan), 'jobs.json');
/** Each array task writes its exit code here when the run ends (killed tasks write nothing). */
export const exitFile = (plan: Plan, index: number) => path.join(plan.dir, 'tasks', `${index}.exit`);
export const slurmLog = (plan: Plan, jobId: string, index: number) => path.join(plan.dir, 'logs', `slurm-${jobId}_${index}.log`);

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    if (err.code === 'ENOENT') throw new UserError(`${command} not found: the slurm executor needs SLURM's client commands on PATH`);
    throw new UserError(`${command} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim().split('\n')[0]}`);
  }
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Compresses sorted indices into sbatch's array syntax: 0-3,5,7-8. */
export function arraySpec(indices: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length;) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    parts.push(i === j ? String(indices[i]) : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The batch script of one job array: task $SLURM_ARRAY_TASK_ID runs that plan row with as many
 * wasm threads as CPUs it was given, and records its exit code (sacct may not exist).
 */
export function jobScript(plan: Plan, indices: readonly number[]): string {
  const s = plan.slurm;
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${plan.study}`,
    `#SBATCH --array=${arraySpec(indices)}${s.maxParallel ? `%${s.maxParallel}` : ''}`,
    `#SBATCH --cpus-per-task=${s.cpus}`,
    `#SBATCH --output=${path.join(plan.dir, 'logs', 'slurm-%A_%a.log')}`,
    ...(s.partition ? [`#SBATCH --partition=${s.partition}`] : []),
    ...(s.time ? [`#SBATCH --time=${s.time}`] : []),
    ...(s.mem ? [`#SBATCH --mem=${s.mem}`] : []),
    ...(s.gres ? [`#SBATCH --gres=${s.gres}`] : []),
    ...s.extra.map((e) => `#SBATCH ${e}`),
    '# written by fundus-train sweep: one task per row of plan.csv',
    'export FUNDUS_WASM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    `${shellQuote(process.execPath)} ${shellQuote(fundusTrainBin())} sweep --task "$SLURM_ARRAY_TASK_ID" --out ${shellQuote(plan.dir)}`,
    'rc=$?',
    `mkdir -p ${shellQuote(path.join(plan.dir, 'tasks'))}`,
    `exit_file=${shellQuote(path.join(plan.dir, 'tasks'))}/"$SLURM_ARRAY_TASK_ID.exit"`,
    'echo "$rc $SLURM_ARRAY_JOB_ID" > "$exit_file.tmp" && mv "$exit_file.tmp" "$exit_file"',
    'exit "$rc"',
  ];
  return lines.join('\n') + '\n';
}

export function readSubmissions(plan: Plan): Submission[] {
  const file = jobsFile(plan);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Submission[]) : [];
}

/** Array tasks of this study's jobs that squeue lists: plan index -> state. */
export function queuedTasks(plan: Plan): Map<number, { state: string; jobId: string }> {
  const jobs = new Set(readSubmissions(plan).map((s) => s.jobId));
  const out = new Map<number, { state: string; jobId: string }>();
  if (jobs.size === 0) return out;
  // -r: one line per array task, pending ones included
  for (const line of run('squeue', ['-h', '-r', '-o', '%A|%K|%T']).split('\n')) {
    const [jobId, task, state] = line.trim().split('|');
    if (jobs.has(jobId) && /^\d+$/.test(task ?? '')) out.set(Number(task), { state, jobId });
  }
  return out;
}

export function slurmStatus(plan: Plan): TaskStatus[] {
  const queued = queuedTasks(plan);
  const submissions = readSubmissions(plan);
  return plan.rows.map((row) => {
    const last = [...submissions].reverse().find((s) => s.indices.includes(row.index));
    const log = last ? slurmLog(plan, last.jobId, row.index) : undefined;
    const q = queued.get(row.index);
    if (q) return { row, state: 'queued', detail: q.state, log: slurmLog(plan, q.jobId, row.index) };
    if (taskDone(row)) return { row, state: 'done', log };
    if (!last) return { row, state: 'not submitted' };
    const exit = exitFile(plan, row.index);
    if (fs.existsSync(exit)) {
      const [code, jobId] = fs.readFileSync(exit, 'utf8').trim().split(' ');
      if (jobId === last.jobId && code !== '0') return { row, state: 'failed', detail: `exit ${code}`, log };
    }
    // gone from the queue without finishing: cancelled, timed out, preempted, node failure
    return { row, state: 'stopped', log };
  });
}

/**
 * Submits one job array of the rows that are neither done nor queued (all of them the first
 * time; the failed and stopped ones on --resume, which their tasks then resume from checkpoints).
 * Returns null when there is nothing to submit.
 */
export function submitSlurm(plan: Plan): Submission | null {
  const queued = queuedTasks(plan);
  const indices = plan.rows.filter((r) => !queued.has(r.index) && !taskDone(r)).map((r) => r.index);
  if (indices.length === 0) return null;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const script = path.join(slurmDir(plan), `job-${stamp}.sh`);
  writeFileAtomic(script, jobScript(plan, indices));
  // slurmd opens the --output file before the task starts: a missing folder fails the task
  makeDirs(path.join(plan.dir, 'logs'));
  makeDirs(path.join(plan.dir, 'tasks'));
  for (const i of indices) fs.rmSync(exitFile(plan, i), { force: true });
  const jobId = run('sbatch', ['--parsable', script]).trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new UserError(`sbatch printed "${jobId}" instead of a job id; see ${script}`);
  const submission = { jobId, indices, at: new Date().toISOString() };
  writeJsonAtomic(jobsFile(plan), [...readSubmissions(plan), submission]);
  return submission;
}

/** Waits until none of the study's tasks is queued; `onChange` hears each row whose state changed. */
export async function waitSlurm(plan: Plan, onChange: (s: TaskStatus) => void, pollSeconds = 2): Promise<TaskStatus[]> {
  const seen = new Map<number, string>();
  for (;;) {
    const statuses = slurmStatus(plan);
    for (const s of statuses) {
      const key = `${s.state} ${s.detail ?? ''}`;
      if (seen.get(s.row.index) !== key) {
        seen.set(s.row.index, key);
        onChange(s);
      }
    }
    if (!statuses.some((s) => s.state === 'queued')) return statuses;
    await new Promise((r) => setTimeout(r, pollSeconds * 1000));
  }
}

export function formatStatus(s: TaskStatus): string {
  const what = s.state === 'queued' ? s.detail!.toLowerCase() : s.state + (s.detail ? ` (${s.detail})` : '');
  return `[${s.row.index}] ${s.row.name}: ${what}${s.state === 'failed' || s.state === 'stopped' ? `; log ${s.log}; resubmit with sweep --resume` : ''}`;
}
