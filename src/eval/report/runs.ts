import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import type { MetricsReport } from '../compute-metrics';
import { isDefined } from '../metric';
import { LOWER_IS_BETTER, metricName, TABLE_METRICS } from '../metric-registry';
import { latexRunsTable, valueCell } from './latex';

const TASKS = ['binary', 'multiclass', 'multilabel'] as const;

/** One run's final metrics as `eval` and training write them: a MetricsReport plus where it came from. */
export interface RunMetrics {
  /** The directory given on the command line. */
  dir: string;
  /** The run's name (config.json), made unique among the runs compared. */
  name: string;
  /** Which split or dataset was evaluated, when metrics.json says. */
  split?: string;
  report: MetricsReport;
}

export interface CompareRunsOptions {
  /** Headline keys to show, in order (default: the task's short list, those any run has). */
  metrics?: readonly string[];
  /** Decimals (default 3). */
  digits?: number;
}

export interface RunsComparison {
  /** booktabs table, one row per run (report/table.tex format). */
  latex: string;
  /** The same table in plain text, with the run directories and notes. */
  text: string;
}

function readJson(file: string, fixHint: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file} is not valid JSON (${(e as Error).message}); ${fixHint}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the parts of a MetricsReport the table reads; names the first bad key. */
function asReport(value: unknown, file: string): MetricsReport {
  const bad = (key: string, want: string) =>
    new UserError(`${file} is not a metrics report: "${key}" should be ${want}; rewrite it with fundus-train eval`);
  if (!isObject(value)) throw bad('(top level)', 'an object');
  if (!TASKS.includes(value.task as (typeof TASKS)[number])) throw bad('task', `one of ${TASKS.join(', ')}`);
  if (!Array.isArray(value.classes) || value.classes.length === 0 || !value.classes.every((c) => typeof c === 'string')) {
    throw bad('classes', 'a list of class names');
  }
  if (typeof value.n !== 'number') throw bad('n', 'the number of cases');
  if (!isObject(value.headline)) throw bad('headline', 'an object of metrics');
  for (const [key, m] of Object.entries(value.headline)) {
    if (!isObject(m) || !(typeof m.value === 'number' || m.value === null)) throw bad(`headline.${key}`, 'a metric {value, ...}');
  }
  if (value.ci !== undefined && !(isObject(value.ci) && isObject(value.ci.intervals))) throw bad('ci', 'bootstrap intervals');
  return value as unknown as MetricsReport;
}

/** The run's name from its config.json, or from the run it sits in (an eval output directory), or the folder name. */
function runName(dir: string, split: string | undefined): string {
  const own = path.join(dir, 'config.json');
  const parent = path.join(path.dirname(path.resolve(dir)), 'config.json');
  const nameIn = (file: string) => {
    const config = readJson(file, 'it should be the resolved config the run wrote');
    return isObject(config) && typeof config.name === 'string' && config.name ? config.name : undefined;
  };
  if (fs.existsSync(own)) return nameIn(own) ?? path.basename(path.resolve(dir));
  if (fs.existsSync(parent)) {
    const name = nameIn(parent);
    if (name) return `${name} (${split ?? path.basename(path.resolve(dir))})`;
  }
  return path.basename(path.resolve(dir));
}

/** Reads `<dir>/metrics.json` and the run's name; a missing or garbled file is a UserError naming the directory. */
export function readRunMetrics(dir: string): RunMetrics {
  if (!fs.existsSync(dir)) throw new UserError(`run directory ${dir} does not exist`);
  const file = path.join(dir, 'metrics.json');
  if (!fs.existsSync(file)) {
    throw new UserError(
      `${dir} has no metrics.json: give a finished run directory (training writes it at the end) or an eval output, or run fundus-train eval --run ${dir}`,
    );
  }
  const raw = readJson(file, `rewrite it with fundus-train eval --run ${dir}`);
  const report = asReport(raw, file);
  const split = isObject(raw) && typeof raw.split === 'string' ? raw.split : undefined;
  return { dir, name: runName(dir, split), split, report };
}

function describeTask(r: RunMetrics): string {
  return `${r.report.task} with ${r.report.task === 'multilabel' ? 'labels' : 'classes'} ${r.report.classes.join(', ')}`;
}

/** Runs of different tasks or class lists measure different things: their numbers cannot share columns. */
function checkComparable(runs: readonly RunMetrics[]): void {
  const first = runs[0];
  for (const r of runs.slice(1)) {
    const same =
      r.report.task === first.report.task &&
      r.report.classes.length === first.report.classes.length &&
      r.report.classes.every((c, i) => c === first.report.classes[i]);
    if (!same) {
      throw new UserError(
        `${r.dir} (${describeTask(r)}) cannot share a table with ${first.dir} (${describeTask(first)}): compare runs of one task and class list`,
      );
    }
  }
}

/** Same names get the directory appended, so every row says which run it is. */
function uniqueNames(runs: RunMetrics[]): RunMetrics[] {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return runs.map((r) => ((count.get(r.name) ?? 0) > 1 ? { ...r, name: `${r.name} [${r.dir}]` } : r));
}

function metricKeys(runs: readonly RunMetrics[], requested: readonly string[] | undefined): string[] {
  const available = [...new Set(runs.flatMap((r) => Object.keys(r.report.headline)))];
  if (requested) {
    userMetrics(requested, available);
    return [...requested];
  }
  const task = runs[0].report.task;
  return TABLE_METRICS[task].filter((k) => available.includes(k));
}

function userMetrics(requested: readonly string[], available: readonly string[]): void {
  if (requested.length === 0) throw new UserError('no metrics asked for: name at least one headline metric');
  const unknown = requested.filter((k) => !available.includes(k));
  if (unknown.length) {
    throw new UserError(`unknown metric ${unknown.map((k) => `"${k}"`).join(', ')} for these runs; available: ${available.join(', ')}`);
  }
}

function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  // first column (names) left-aligned, numbers right-aligned
  return rows
    .map((r) =>
      r
        .map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function formatText(runs: readonly RunMetrics[], keys: readonly string[], digits: number): string {
  const first = runs[0].report;
  const header = ['Run', 'Split', 'Cases', ...keys.map((k) => metricName(k, first) + (LOWER_IS_BETTER.has(k) ? ' (lower is better)' : ''))];
  const rows = runs.map((r) => [r.name, r.split ?? '-', String(r.report.n), ...keys.map((k) => valueCell(r.report, k, digits))]);
  const unit = first.task === 'multilabel' ? 'labels' : 'classes';
  const out = [`${runs.length} runs, ${first.task}, ${unit}: ${first.classes.join(', ')}`, '', textTable([header, ...rows]), ''];
  const ci = runs.find((r) => r.report.ci)?.report.ci;
  if (ci) out.push(`[lo, hi]: ${Math.round(ci.level * 100)}% ${ci.method} intervals, where the run has them`);
  if (runs.some((r) => keys.some((k) => r.report.headline[k] === undefined))) out.push('--: the run did not record this metric');
  const notes: string[] = [];
  for (const r of runs) {
    for (const k of keys) {
      const m = r.report.headline[k];
      if (m && !isDefined(m)) notes.push(`${r.name}, ${metricName(k, r.report)}: n/a, ${m.reason}`);
    }
  }
  out.push(...notes);
  out.push('', 'runs:', ...runs.map((r) => `  ${r.name}: ${r.dir}`));
  return out.join('\n') + '\n';
}

/**
 * `fundus-train report RUN...`: the final metrics of several runs in one table, LaTeX and
 * plain text. Each directory must hold a metrics.json (a run after training, or an eval
 * output); all runs must have the same task and classes.
 */
export function compareRuns(runDirs: readonly string[], options: CompareRunsOptions = {}): RunsComparison {
  if (runDirs.length === 0) throw new UserError('report needs at least one run directory');
  const runs = uniqueNames(runDirs.map(readRunMetrics));
  checkComparable(runs);
  const keys = metricKeys(runs, options.metrics);
  const digits = options.digits ?? 3;
  return {
    latex: latexRunsTable(runs, { metrics: keys, digits }),
    text: formatText(runs, keys, digits),
  };
}
