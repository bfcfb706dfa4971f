import * as fs from 'fs';
import * as path from 'path';
import {
  computeMetrics,
  escapeLatex,
  isDefined,
  LOWER_IS_BETTER,
  metricName,
  MetricsReport,
  predictionsToMetricsInput,
  PredictionsTable,
  readPredictionsCsv,
  TABLE_METRICS,
  writePredictionsCsv,
} from '../eval';
import { readRunMetrics } from '../eval/report/runs';
import { UserError } from '../util/errors';
import { readPlan, Plan, PlanRow } from './plan';
import { runFiles, runState } from './run-files';

/** Mean and sample standard deviation (n - 1) of one headline metric over a combination's runs. */
export interface MetricSummary {
  key: string;
  /** Runs where the metric is defined. */
  n: number;
  mean: number | null;
  /** null with fewer than two values. */
  sd: number | null;
  values: (number | null)[];
}

export interface CombinationAggregate {
  combination: string;
  axes: Record<string, unknown>;
  /** The complete runs aggregated. */
  runs: string[];
  /** Runs of the plan that are not complete (left out). */
  missing: string[];
  metrics: MetricSummary[];
  /** Metrics of the pooled predictions, with patient-grouped bootstrap intervals. */
  pooled: MetricsReport;
  /** out-of-fold: each fold model's predictions on its own validation fold; test: each run's test predictions. */
  pooledFrom: 'out-of-fold' | 'test';
  pooledTable: PredictionsTable;
}

export interface StudyAggregate {
  plan: Plan;
  combinations: CombinationAggregate[];
  /** The headline keys of the tables, in order. */
  keys: string[];
}

export interface AggregateOptions {
  /** Bootstrap resamples on the pooled predictions (default: the runs' eval.bootstrap). */
  bootstrap?: number;
  /** Seed of the bootstrap stream (default 0, as `score`). */
  seed?: number;
  /** Headline keys of the tables (default: the task's short list). */
  metrics?: readonly string[];
}

export function meanSd(values: readonly number[]): { mean: number | null; sd: number | null } {
  if (values.length === 0) return { mean: null, sd: null };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, sd: null };
  const ss = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
  return { mean, sd: Math.sqrt(ss / (values.length - 1)) };
}

/** Concatenates predictions tables of one task and class list (rows in the order given). */
export function poolPredictions(tables: readonly { table: PredictionsTable; file: string }[]): PredictionsTable {
  const first = tables[0].table;
  for (const { table, file } of tables) {
    if (table.task !== first.task || table.classes.join('\u0000') !== first.classes.join('\u0000')) {
      throw new UserError(
        `${file}: ${table.task} over ${table.classes.join(', ')} cannot be pooled with ${tables[0].file} (${first.task} over ${first.classes.join(', ')})`,
      );
    }
  }
  const grouped = tables.every(({ table }) => table.groups !== undefined);
  const cat = <T>(pick: (t: PredictionsTable) => T[] | undefined) => tables.flatMap(({ table }) => pick(table) ?? []);
  return {
    task: first.task,
    classes: first.classes,
    images: cat((t) => t.images),
    labels: first.task === 'multilabel' ? undefined : cat((t) => t.labels),
    targets: first.task === 'multilabel' ? cat((t) => t.targets) : undefined,
    probs: cat((t) => t.probs),
    // the same patient keeps one id across folds and seeds: the bootstrap draws all its rows together
    groups: grouped ? cat((t) => t.groups) : undefined,
  };
}

interface RunEvalSettings {
  bootstrap: number;
  specificity?: number;
  referableFrom: number | null;
  threshold: number | 'tune';
}

function evalSettings(row: PlanRow): RunEvalSettings {
  const config = JSON.parse(fs.readFileSync(row.config, 'utf8')) as { eval: RunEvalSettings };
  return config.eval;
}

function aggregateCombination(plan: Plan, rows: PlanRow[], options: AggregateOptions): CombinationAggregate | null {
  const complete = rows.filter((r) => runState(r.runDir) === 'complete');
  if (complete.length === 0) return null;
  const reports = complete.map((r) => readRunMetrics(r.runDir).report);
  const keys = [...new Set(reports.flatMap((r) => Object.keys(r.headline)))];
  const metrics = keys.map((key) => {
    const values = reports.map((r) => {
      const m = r.headline[key];
      return m !== undefined && isDefined(m) ? m.value : null;
    });
    const defined = values.filter((v): v is number => v !== null);
    return { key, n: defined.length, ...meanSd(defined), values };
  });
  const outOfFold = plan.folds !== null;
  const files = complete.map((r) => (outOfFold ? runFiles.outOfFoldPredictions(r.runDir) : runFiles.predictions(r.runDir)));
  for (const [i, f] of files.entries()) {
    if (!fs.existsSync(f)) {
      throw new UserError(
        `${f} is missing: ${outOfFold ? `re-run the sweep to predict fold ${complete[i].fold}'s validation images` : 'the run wrote no test predictions'}`,
      );
    }
  }
  const pooledTable = poolPredictions(files.map((file) => ({ file, table: readPredictionsCsv(file) })));
  const settings = evalSettings(complete[0]);
  const resamples = options.bootstrap ?? settings.bootstrap;
  const input = predictionsToMetricsInput(pooledTable, {
    specificity: settings.specificity,
    ordinal: settings.referableFrom !== null ? { referableFrom: settings.referableFrom } : undefined,
    thresholds: typeof settings.threshold === 'number' ? settings.threshold : undefined,
  });
  const pooled = computeMetrics(input, {
    bootstrap: resamples > 0 ? { resamples, seed: options.seed ?? 0, groups: pooledTable.groups } : undefined,
  });
  return {
    combination: rows[0].combination,
    axes: rows[0].axes,
    runs: complete.map((r) => r.name),
    missing: rows.filter((r) => !complete.includes(r)).map((r) => r.name),
    metrics,
    pooled,
    pooledFrom: outOfFold ? 'out-of-fold' : 'test',
    pooledTable,
  };
}

/**
 * `fundus-train report STUDY_DIR`: per combination of the study's axes, mean ± sd over folds and
 * seeds of every headline test metric (each run's metrics.json), and the metrics of the pooled
 * predictions with patient-grouped bootstrap intervals (the eval code's, as `score` computes them).
 */
export function aggregateStudy(studyDir: string, options: AggregateOptions = {}): StudyAggregate {
  const plan = readPlan(studyDir);
  const byCombination = new Map<string, PlanRow[]>();
  for (const r of plan.rows) byCombination.set(r.combination, [...(byCombination.get(r.combination) ?? []), r]);
  const combinations = [...byCombination.values()]
    .map((rows) => aggregateCombination(plan, rows, options))
    .filter((c): c is CombinationAggregate => c !== null);
  if (combinations.length === 0) throw new UserError(`${studyDir}: no run of the study is complete yet; run fundus-train sweep first`);
  const first = combinations[0].pooled;
  for (const c of combinations) {
    if (c.pooled.task !== first.task || c.pooled.classes.join('\u0000') !== first.classes.join('\u0000')) {
      throw new UserError(
        `${studyDir}: combination ${c.combination} (${c.pooled.task}) cannot share a table with ${combinations[0].combination} (${first.task}): a study compares one task`,
      );
    }
  }
  const available = new Set(combinations.flatMap((c) => c.metrics.map((m) => m.key)));
  let keys: string[];
  if (options.metrics) {
    const unknown = options.metrics.filter((k) => !available.has(k));
    if (unknown.length)
      throw new UserError(`unknown metric ${unknown.map((k) => `"${k}"`).join(', ')} for this study; available: ${[...available].join(', ')}`);
    keys = [...options.metrics];
  } else keys = TABLE_METRICS[first.task].filter((k) => available.has(k));
  return { plan, combinations, keys };
}

const fixed = (v: number | null | undefined, d: number) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));

function summaryOf(c: CombinationAggregate, key: string): MetricSummary | undefined {
  return c.metrics.find((m) => m.key === key);
}

function pooledCell(c: CombinationAggregate, key: string, digits: number): { value: string; lo: string; hi: string } {
  const m = c.pooled.headline[key];
  const iv = c.pooled.ci?.intervals[key];
  return {
    value: m && isDefined(m) ? m.value.toFixed(digits) : 'n/a',
    lo: iv && iv.lo !== null ? iv.lo.toFixed(digits) : '',
    hi: iv && iv.lo !== null ? iv.hi.toFixed(digits) : '',
  };
}

function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows
    .map((r) =>
      r
        .map((c, j) => (j < 2 ? c.padEnd(widths[j]) : c.padStart(widths[j])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function pooledWhat(a: StudyAggregate): string {
  return a.combinations[0].pooledFrom === 'out-of-fold'
    ? "pooled: every fold model's predictions on its own validation fold (out-of-fold; each non-test image once per seed)"
    : "pooled: every run's test predictions";
}

export function formatAggregateText(a: StudyAggregate, digits = 3): string {
  const first = a.combinations[0].pooled;
  const header = ['Combination', '', ...a.keys.map((k) => metricName(k, first) + (LOWER_IS_BETTER.has(k) ? ' (lower is better)' : ''))];
  const rows: string[][] = [header];
  for (const c of a.combinations) {
    rows.push([
      c.combination,
      `test: mean ± sd (${c.runs.length} runs)`,
      ...a.keys.map((k) => {
        const s = summaryOf(c, k);
        return s && s.mean !== null ? `${s.mean.toFixed(digits)} ± ${fixed(s.sd, digits)}` : 'n/a';
      }),
    ]);
    rows.push([
      '',
      `${c.pooledFrom}, pooled (${c.pooled.n} cases)`,
      ...a.keys.map((k) => {
        const p = pooledCell(c, k, digits);
        return p.lo ? `${p.value} [${p.lo}, ${p.hi}]` : p.value;
      }),
    ]);
  }
  const ci = a.combinations.find((c) => c.pooled.ci)?.pooled.ci;
  const out = [
    `Study ${a.plan.study}: ${a.combinations.reduce((n, c) => n + c.runs.length, 0)} complete runs in ${a.combinations.length} combination(s); ${first.task}, ${first.task === 'multilabel' ? 'labels' : 'classes'}: ${first.classes.join(', ')}`,
    '',
    textTable(rows),
    '',
    'mean ± sd: over the runs (folds and seeds) of each test metric in their metrics.json; sd is the sample standard deviation (n - 1)',
    pooledWhat(a),
  ];
  if (ci)
    out.push(
      `[lo, hi]: ${Math.round(ci.level * 100)}% ${ci.method} on the pooled predictions: ${ci.resamples} resamples of ${ci.units} ${ci.unit === 'group' ? 'patients' : 'cases'}, seed ${ci.seed}`,
    );
  for (const c of a.combinations) if (c.missing.length) out.push(`${c.combination}: not complete, left out: ${c.missing.join(', ')}`);
  return out.join('\n') + '\n';
}

export function formatAggregateCsv(a: StudyAggregate): string {
  const keys = a.plan.axisKeys;
  const lines = [
    ['combination', ...keys, 'metric', 'runs', 'mean', 'sd', 'pooled', 'pooled_lo', 'pooled_hi', 'pooled_from', 'pooled_cases'].join(','),
  ];
  const cell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  for (const c of a.combinations) {
    for (const m of c.metrics) {
      const p = c.pooled.headline[m.key];
      const iv = c.pooled.ci?.intervals[m.key];
      lines.push(
        [
          c.combination,
          ...keys.map((k) => (k in c.axes ? JSON.stringify(c.axes[k]) : '')),
          m.key,
          String(m.n),
          m.mean === null ? '' : String(m.mean),
          m.sd === null ? '' : String(m.sd),
          p && isDefined(p) ? String(p.value) : '',
          iv && iv.lo !== null ? String(iv.lo) : '',
          iv && iv.lo !== null ? String(iv.hi) : '',
          c.pooledFrom,
          String(c.pooled.n),
        ]
          .map(cell)
          .join(','),
      );
    }
  }
  return lines.join('\n') + '\n';
}

export function formatAggregateLatex(a: StudyAggregate, digits = 3): string {
  const first = a.combinations[0].pooled;
  const header = a.keys.map((k) => escapeLatex(metricName(k, first)) + (LOWER_IS_BETTER.has(k) ? ' ($\\downarrow$)' : ''));
  const lines = [
    '% requires \\usepackage{booktabs}',
    '\\begin{table}[t]',
    '\\centering',
    `\\begin{tabular}{ll${'r'.repeat(a.keys.length)}}`,
    '\\toprule',
    `Combination & & ${header.join(' & ')} \\\\`,
    '\\midrule',
  ];
  for (const c of a.combinations) {
    const means = a.keys.map((k) => {
      const s = summaryOf(c, k);
      return s && s.mean !== null ? `$${s.mean.toFixed(digits)} \\pm ${fixed(s.sd, digits)}$` : 'n/a';
    });
    const pooled = a.keys.map((k) => {
      const p = pooledCell(c, k, digits);
      return p.lo ? `${p.value} [${p.lo}, ${p.hi}]` : p.value;
    });
    lines.push(`${escapeLatex(c.combination)} & test mean $\\pm$ sd (${c.runs.length}) & ${means.join(' & ')} \\\\`);
    lines.push(` & ${c.pooledFrom} pooled (${c.pooled.n}) & ${pooled.join(' & ')} \\\\`);
  }
  const ci = a.combinations.find((c) => c.pooled.ci)?.pooled.ci;
  const ciText = ci
    ? ` Pooled values with ${Math.round(ci.level * 100)}\\% percentile bootstrap intervals (${ci.resamples} resamples of ${ci.unit === 'group' ? 'patients' : 'images'}).`
    : '';
  const pooledText = a.combinations[0].pooledFrom === 'out-of-fold' ? 'out-of-fold predictions' : 'test predictions of all runs';
  lines.push(
    '\\bottomrule',
    '\\end{tabular}',
    `\\caption{Study ${escapeLatex(a.plan.study)}: mean $\\pm$ sd over folds and seeds, and ${pooledText} pooled.${ciText}}`,
    '\\end{table}',
  );
  return lines.join('\n') + '\n';
}

/** Where writeAggregate puts its files: <study>/report/. */
export const aggregateFiles = (studyDir: string) => ({
  text: path.join(studyDir, 'report', 'aggregate.txt'),
  csv: path.join(studyDir, 'report', 'aggregate.csv'),
  latex: path.join(studyDir, 'report', 'aggregate.tex'),
  plot: path.join(studyDir, 'report', 'aggregate.png'),
  pooled: (combination: string) => path.join(studyDir, 'report', 'pooled', `${combination}.csv`),
});

/** The pooled predictions of each combination, so `score` can recompute (or re-bootstrap) them. */
export function writePooledPredictions(a: StudyAggregate): string[] {
  return a.combinations.map((c) => {
    const file = aggregateFiles(a.plan.dir).pooled(c.combination);
    writePredictionsCsv(file, c.pooledTable);
    return file;
  });
}
