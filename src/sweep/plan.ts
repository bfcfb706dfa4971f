import * as fs from 'fs';
import * as path from 'path';
import { resolveConfig } from '../config/resolve';
import { UserError } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs';
import type { LoadedStudy, SlurmConfig } from './study-schema';

/** One run of a study. */
export interface PlanRow {
  /** Position in the plan: the SLURM array index and the Kubernetes completion index. */
  index: number;
  /** Run name: the combination, seed and fold, e.g. "lr-0.001_seed-1_fold-0". */
  name: string;
  /** The combination without seed and fold: the runs that aggregate together. */
  combination: string;
  /** The config keys this combination sets (grid point and list entry). */
  axes: Record<string, unknown>;
  seed: number | null;
  fold: number | null;
  /** The expanded, resolved config (absolute path). */
  config: string;
  /** The run directory (absolute path). */
  runDir: string;
}

export interface Plan {
  study: string;
  /** The study file it came from. */
  studyFile: string;
  /** The study directory (absolute). */
  dir: string;
  folds: number | null;
  seeds: number[] | null;
  /** Every key any combination sets, in order. */
  axisKeys: string[];
  slurm: SlurmConfig;
  rows: PlanRow[];
}

export const PLAN_JSON = 'plan.json';
export const PLAN_CSV = 'plan.csv';

/** Every combination of the grid's values (first key slowest), crossed with the list's entries. */
function combinations(grid: Record<string, unknown[]>, list: Record<string, unknown>[] | null): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  if (!list) return out;
  return out.flatMap((c) =>
    list.map((entry) => {
      for (const key of Object.keys(entry)) {
        if (key in c) throw new UserError(`study: key "${key}" is set both in grid and in list; keep it in one of them`);
      }
      return { ...c, ...entry };
    }),
  );
}

/** A key's short form in run names: its last segment (model.name -> model), longer when that is ambiguous. */
function shortKeys(keys: string[]): Map<string, string> {
  const short = (key: string, segments: number) => {
    const parts = key.split('.');
    const tail = parts[parts.length - 1] === 'name' && parts.length > 1 ? parts.slice(0, -1) : parts;
    return tail.slice(-segments).join('.');
  };
  const out = new Map<string, string>();
  for (const key of keys) {
    let n = 1;
    while (n < key.split('.').length && keys.some((k) => k !== key && short(k, n) === short(key, n))) n++;
    out.set(key, short(key, n));
  }
  return out;
}

/** A value as a name part: letters, digits, "." and "-" kept, anything else "_" (JSON for lists and objects). */
function valueSlug(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const slug = text.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '');
  return slug || 'empty';
}

function combinationName(axes: Record<string, unknown>, short: Map<string, string>): string {
  const parts = Object.entries(axes).map(([k, v]) => `${short.get(k)}-${valueSlug(v)}`);
  return parts.length ? parts.join('_') : 'base';
}

/**
 * Expands a study into its runs and validates every run's config before anything starts: one bad
 * combination is one UserError naming it. Writes nothing.
 */
export function expandStudy(loaded: LoadedStudy, outDir: string): { plan: Plan; configs: Map<string, object> } {
  const { study, file } = loaded;
  const dir = path.resolve(outDir);
  const shownStudy = path.relative(process.cwd(), file) || file;
  if (!fs.existsSync(loaded.baseFile)) throw new UserError(`${shownStudy}: base: config file not found: ${loaded.baseFile}`);
  const combos = combinations(study.grid, study.list);
  const axisKeys = [...new Set(combos.flatMap((c) => Object.keys(c)))];
  const short = shortKeys(axisKeys);
  const seeds: (number | null)[] = study.seeds ?? [null];
  const folds: (number | null)[] = study.folds ? Array.from({ length: study.folds }, (_, f) => f) : [null];
  const rows: PlanRow[] = [];
  const configs = new Map<string, object>();
  const byName = new Map<string, Record<string, unknown>>();
  for (const axes of combos) {
    const combination = combinationName(axes, short);
    const previous = byName.get(combination);
    if (previous) {
      throw new UserError(
        `${shownStudy}: two combinations are both named "${combination}" (${JSON.stringify(previous)} and ${JSON.stringify(axes)}); make their values differ`,
      );
    }
    byName.set(combination, axes);
    for (const seed of seeds) {
      for (const fold of folds) {
        const name = [combination, ...(seed !== null ? [`seed-${seed}`] : []), ...(fold !== null ? [`fold-${fold}`] : [])].join('_');
        const runDir = path.join(dir, 'runs', name);
        // JSON is YAML, so each value keeps its type through the --set parser.
        const overrides = Object.entries(axes).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
        overrides.push(`name=${JSON.stringify(name)}`);
        if (seed !== null) overrides.push(`seed=${seed}`);
        if (study.folds) overrides.push(`data.split.folds=${study.folds}`, `data.split.fold=${fold}`);
        let resolved;
        try {
          resolved = resolveConfig(loaded.baseFile, overrides, runDir);
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          const set = Object.entries(axes)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(', ');
          throw new UserError(`${shownStudy}: run "${name}"${set ? ` (${set})` : ''} is invalid: ${e.message}`);
        }
        const config = path.join(dir, 'configs', `${name}.json`);
        configs.set(config, resolved.config);
        rows.push({ index: rows.length, name, combination, axes, seed, fold, config, runDir });
      }
    }
  }
  const plan: Plan = {
    study: study.name,
    studyFile: file,
    dir,
    folds: study.folds,
    seeds: study.seeds,
    axisKeys,
    slurm: study.slurm,
    rows,
  };
  return { plan, configs };
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function planCsv(plan: Plan): string {
  const header = ['index', 'name', 'combination', ...plan.axisKeys, 'seed', 'fold', 'run_dir'];
  const lines = plan.rows.map((r) =>
    [
      String(r.index),
      r.name,
      r.combination,
      ...plan.axisKeys.map((k) => (k in r.axes ? JSON.stringify(r.axes[k]) : '')),
      String(r.seed ?? ''),
      String(r.fold ?? ''),
      r.runDir,
    ]
      .map(csvCell)
      .join(','),
  );
  return [header.map(csvCell).join(','), ...lines].join('\n') + '\n';
}

/**
 * Writes the plan first (plan.json, plan.csv), then each run's config. A config that already
 * exists with other content means the study changed under runs that used it: an error, since a
 * resume would mix two experiments.
 */
export function writePlan(plan: Plan, configs: Map<string, object>): void {
  for (const [file, config] of configs) {
    const text = JSON.stringify(config, null, 2) + '\n';
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') !== text) {
      const run = path.basename(file, '.json');
      if (fs.existsSync(path.join(plan.dir, 'runs', run))) {
        throw new UserError(`${file}: run "${run}" already ran with another config; restore the study file or use another --out`);
      }
    }
  }
  writeJsonAtomic(path.join(plan.dir, PLAN_JSON), plan);
  writeFileAtomic(path.join(plan.dir, PLAN_CSV), planCsv(plan));
  for (const [file, config] of configs) writeJsonAtomic(file, config);
}

/** The plan a study directory holds (written by `sweep`). */
export function readPlan(studyDir: string): Plan {
  const file = path.join(path.resolve(studyDir), PLAN_JSON);
  if (!fs.existsSync(file))
    throw new UserError(`${studyDir} is not a study directory: no ${PLAN_JSON} (run fundus-train sweep --config study.yaml first)`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Plan;
  } catch (e) {
    throw new UserError(`${file} is not valid JSON (${(e as Error).message}); rewrite it with fundus-train sweep --config study.yaml`);
  }
}

export function isStudyDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, PLAN_JSON));
}
