import * as path from 'path';
import type { Argv } from 'yargs';
import { formatHeadline } from '../eval/report/text';
import { UserError } from '../util/errors';
import { ProgressLogger } from './progress';
import { loadStudy } from '../sweep/study-schema';
import { expandStudy, readPlan, writePlan, Plan, PLAN_CSV, PLAN_JSON } from '../sweep/plan';
import { runState, taskDone } from '../sweep/run-files';
import { runTask } from '../sweep/task';
import { runLocal } from '../sweep/executors/local';
import { formatStatus, readSubmissions, slurmStatus, submitSlurm, waitSlurm, TaskStatus } from '../sweep/executors/slurm';
import { k8sManifest } from '../sweep/executors/k8s';
import { ensembleStudy } from '../sweep/ensemble';
import { EXIT_INTERNAL, EXIT_OK } from './output';

export const EXECUTORS = ['local', 'slurm', 'k8s'] as const;

export interface SweepArgs {
  config?: string;
  out?: string;
  executor: (typeof EXECUTORS)[number];
  parallel: number;
  resume: boolean;
  status: boolean;
  wait: boolean;
  ensemble: boolean;
  'data-config'?: string;
  bootstrap?: number;
  'dry-run': boolean;
  task?: number;
}

export function sweepBuilder(y: Argv): Argv<SweepArgs> {
  return y
    .option('config', { type: 'string', describe: 'study file (YAML or JSON): base config, folds, seeds, grid, list, slurm' })
    .option('out', { type: 'string', describe: "study directory (default: the study's out, else studies/<name>)" })
    .option('executor', {
      choices: EXECUTORS,
      default: 'local' as const,
      describe: 'local child processes, a SLURM job array, or a Kubernetes Indexed Job (--dry-run)',
    })
    .option('parallel', { type: 'number', default: 1, describe: 'local: runs at once (threads per run = cores / parallel)' })
    .option('resume', {
      type: 'boolean',
      default: false,
      describe: 'resubmit failed, stopped and unfinished runs (each resumes from its checkpoint)',
    })
    .option('status', { type: 'boolean', default: false, describe: 'print where every run stands (squeue and the run directories)' })
    .option('wait', { type: 'boolean', default: false, describe: 'slurm: wait until no task of the study is queued' })
    .option('ensemble', {
      type: 'boolean',
      default: false,
      describe: "score the mean of each seed's fold models on the test split (or --data-config)",
    })
    .option('data-config', { type: 'string', describe: 'ensemble: score on this dataset (a config with a data section) instead' })
    .option('bootstrap', { type: 'number', describe: "ensemble: bootstrap resamples (default: the runs' eval.bootstrap)" })
    .option('dry-run', { type: 'boolean', default: false, describe: 'write and print the plan (k8s: the manifest) and start nothing' })
    .option('task', {
      type: 'number',
      hidden: true,
      describe: 'run one row of the plan in this process (what executors start)',
    }) as unknown as Argv<SweepArgs>;
}

const say = (line: string) => process.stdout.write(line + '\n');

function studyDir(args: SweepArgs): string {
  if (args.out) return path.resolve(args.out);
  if (!args.config) throw new UserError('sweep needs --config study.yaml (or --out STUDY_DIR of a planned study)');
  const { study } = loadStudy(args.config);
  return path.resolve(study.out ?? path.join('studies', study.name));
}

/** Expands and validates every run, then writes the plan; nothing has started when this throws. */
function plan(args: SweepArgs): Plan {
  if (!args.config) return readPlan(studyDir(args));
  const loaded = loadStudy(args.config);
  const dir = args.out ?? loaded.study.out ?? path.join('studies', loaded.study.name);
  const { plan: p, configs } = expandStudy(loaded, dir);
  writePlan(p, configs);
  return p;
}

function summary(plan: Plan, states: string[]): string {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return `${plan.rows.length} runs: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`;
}

function printStatus(plan: Plan): number {
  if (readSubmissions(plan).length > 0) {
    const statuses = slurmStatus(plan);
    for (const s of statuses) say(formatStatus(s));
    say(
      summary(
        plan,
        statuses.map((s) => (s.state === 'queued' ? s.detail!.toLowerCase() : s.state)),
      ),
    );
    return EXIT_OK;
  }
  // a fold run that trained but has no out-of-fold predictions yet is finished by the next sweep
  const states = plan.rows.map((r) =>
    taskDone(r) ? 'done' : runState(r.runDir) === 'complete' ? 'trained, out-of-fold predictions missing' : runState(r.runDir),
  );
  plan.rows.forEach((r, i) => say(`[${r.index}] ${r.name}: ${states[i]}`));
  say(summary(plan, states));
  return EXIT_OK;
}

function endOfSlurm(plan: Plan, statuses: TaskStatus[]): number {
  say(
    summary(
      plan,
      statuses.map((s) => s.state),
    ),
  );
  const bad = statuses.filter((s) => s.state === 'failed' || s.state === 'stopped');
  if (bad.length) say(`${bad.length} run(s) did not finish; resubmit them with fundus-train sweep --out ${plan.dir} --executor slurm --resume`);
  return bad.length ? EXIT_INTERNAL : EXIT_OK;
}

export async function runSweep(args: SweepArgs): Promise<number> {
  if (args.task !== undefined) {
    if (!args.out) throw new UserError('--task needs --out STUDY_DIR');
    const result = await runTask(args.out, args.task, [new ProgressLogger()]);
    say(`${result.row.name}: ${result.action}`);
    return EXIT_OK;
  }
  if (args.status) return printStatus(readPlan(studyDir(args)));
  if (args.ensemble) {
    const results = await ensembleStudy(studyDir(args), { dataConfig: args['data-config'], bootstrap: args.bootstrap, write: say });
    for (const r of results) {
      say(`ensemble ${r.name} (mean of ${r.members.length} fold models), ${r.report.n} images:`);
      for (const line of formatHeadline(r.report).split('\n')) say(`    ${line}`);
      say(`    outputs in ${r.outDir}`);
    }
    return EXIT_OK;
  }
  if (args.wait && !args.config && args.executor === 'slurm') {
    const p = readPlan(studyDir(args));
    return endOfSlurm(p, await waitSlurm(p, (s) => say(formatStatus(s))));
  }
  const p = plan(args);
  say(`study ${p.study}: ${p.rows.length} runs planned in ${p.dir} (${PLAN_JSON}, ${PLAN_CSV})`);
  if (args['dry-run']) {
    if (args.executor === 'k8s') process.stdout.write(k8sManifest(p));
    else for (const r of p.rows) say(`[${r.index}] ${r.name}: ${r.config}`);
    return EXIT_OK;
  }
  if (args.executor === 'k8s') throw new UserError('--executor k8s only prints a manifest: add --dry-run and apply it with kubectl');
  if (args.executor === 'slurm') {
    const submission = submitSlurm(p);
    if (submission)
      say(
        `submitted SLURM job ${submission.jobId}: ${submission.indices.length} task(s); follow with fundus-train sweep --out ${p.dir} --executor slurm --status (or --wait)`,
      );
    else say('nothing to submit: every run is done or queued');
    if (!args.wait) return EXIT_OK;
    return endOfSlurm(p, await waitSlurm(p, (s) => say(formatStatus(s))));
  }
  const result = await runLocal(p, { parallel: args.parallel, write: say });
  return result.outcomes.some((o) => o.status === 'failed') ? EXIT_INTERNAL : EXIT_OK;
}
