import * as fs from 'fs';
import * as path from 'path';
import {
  computeMetrics,
  formatTextReport,
  MetricsReport,
  predictionsToMetricsInput,
  PredictionsTable,
  readPredictionsCsv,
  writePredictionsCsv,
} from '../eval';
import { evaluate } from '../train/evaluate';
import { runPaths } from '../train/run-dir';
import { UserError } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs';
import { readPlan, PlanRow } from './plan';
import { runFiles, runState } from './run-files';

export interface EnsembleResult {
  /** The combination (and seed) whose fold models were averaged. */
  name: string;
  members: string[];
  report: MetricsReport;
  outDir: string;
}

/**
 * The mean of tables' probabilities, row by row; every table must list the same images in the same
 * order with the same truth (the fold models of one seed share the test split).
 */
export function meanProbabilities(tables: readonly { table: PredictionsTable; file: string }[]): PredictionsTable {
  const first = tables[0];
  for (const { table, file } of tables.slice(1)) {
    const same =
      table.classes.join('\u0000') === first.table.classes.join('\u0000') &&
      table.images.length === first.table.images.length &&
      table.images.every((im, i) => im === first.table.images[i]);
    if (!same) throw new UserError(`${file} does not predict the same images as ${first.file}: fold models of one seed must share a test set`);
  }
  const k = tables.length;
  const probs = first.table.probs.map((row, i) => row.map((_, c) => tables.reduce((s, { table }) => s + table.probs[i][c], 0) / k));
  return { ...first.table, probs };
}

export interface EnsembleOptions {
  /** Score on another dataset (a config with a data section) instead of the test split. */
  dataConfig?: string;
  /** Bootstrap resamples (default: the runs' eval.bootstrap). */
  bootstrap?: number;
  write?: (line: string) => void;
}

/**
 * `sweep --ensemble`: for each combination and seed of a k-fold study, the mean of its fold models'
 * probabilities on the test split (each run's predictions.csv) or on an external dataset (each
 * fold model evaluated with the eval code), scored like a run: predictions.csv, metrics.json
 * with patient-grouped bootstrap intervals, report.txt, under <study>/ensemble/<name>/<split>/.
 */
export async function ensembleStudy(studyDir: string, options: EnsembleOptions = {}): Promise<EnsembleResult[]> {
  const plan = readPlan(studyDir);
  if (plan.folds === null) throw new UserError(`${studyDir}: --ensemble averages fold models; this study has no folds`);
  const groups = new Map<string, PlanRow[]>();
  for (const r of plan.rows) {
    const key = r.seed === null ? r.combination : `${r.combination}_seed-${r.seed}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const target = options.dataConfig ? path.basename(options.dataConfig).replace(/\.(ya?ml|json)$/i, '') : 'test';
  const results: EnsembleResult[] = [];
  for (const [name, rows] of groups) {
    const incomplete = rows.filter((r) => runState(r.runDir) !== 'complete');
    if (incomplete.length) throw new UserError(`ensemble ${name}: ${incomplete.map((r) => r.name).join(', ')} not complete; finish the sweep first`);
    const tables: { table: PredictionsTable; file: string }[] = [];
    for (const r of rows) {
      let file = runFiles.predictions(r.runDir);
      if (options.dataConfig) {
        const out = path.join(plan.dir, 'ensemble', name, target, 'members', r.name);
        if (!fs.existsSync(runPaths(out).predictions)) {
          options.write?.(`${r.name}: predicting ${target}`);
          await evaluate({ runDir: r.runDir, dataConfig: options.dataConfig, out, bootstrap: 0 });
        }
        file = runPaths(out).predictions;
      }
      tables.push({ table: readPredictionsCsv(file), file });
    }
    const mean = meanProbabilities(tables);
    const config = JSON.parse(fs.readFileSync(rows[0].config, 'utf8')) as {
      seed: number;
      eval: { bootstrap: number; specificity: number; referableFrom: number | null; threshold: number | 'tune' };
    };
    const resamples = options.bootstrap ?? config.eval.bootstrap;
    const report = computeMetrics(
      predictionsToMetricsInput(mean, {
        specificity: config.eval.specificity,
        ordinal: config.eval.referableFrom !== null ? { referableFrom: config.eval.referableFrom } : undefined,
        thresholds: typeof config.eval.threshold === 'number' ? config.eval.threshold : undefined,
      }),
      { bootstrap: resamples > 0 ? { resamples, seed: config.seed, groups: mean.groups } : undefined },
    );
    const outDir = path.join(plan.dir, 'ensemble', name, target);
    writePredictionsCsv(runPaths(outDir).predictions, mean);
    writeJsonAtomic(runPaths(outDir).metrics, { split: target, members: rows.map((r) => r.name), ...report });
    writeFileAtomic(
      path.join(outDir, 'report.txt'),
      formatTextReport(report, { title: `Ensemble of ${rows.length} fold models (${name}): ${target}` }),
    );
    results.push({ name, members: rows.map((r) => r.name), report, outDir });
  }
  return results;
}
