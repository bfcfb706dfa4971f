import * as path from 'path';
import { z } from 'zod';
import { closest, readConfigFile } from '../config/load';
import { UserError } from '../util/errors';

/** SLURM resources of each array task (sbatch options). */
export const slurmConfigSchema = z.strictObject({
  partition: z.string().min(1).optional(),
  /** Wall-time limit per task, sbatch's --time format (e.g. "02:00:00"). */
  time: z.string().min(1).optional(),
  /** CPUs per task; each run's wasm backend uses this many threads. */
  cpus: z.int().min(1).default(2),
  /** Memory per task, sbatch's --mem format (e.g. "16G"). */
  mem: z.string().min(1).optional(),
  /** Generic resources, e.g. "gpu:1". */
  gres: z.string().min(1).optional(),
  /** At most this many tasks of the array run at once (the %M of --array). */
  maxParallel: z.int().min(1).optional(),
  /** More #SBATCH lines, written as given, e.g. ["--account=lab", "--qos=short"]. */
  extra: z.array(z.string().min(1)).default([]),
});

/** One value or a list of values of config keys: a grid axis, or one entry of a list. */
const configKey = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/, 'a dotted config key such as train.optimizer.lr');

/**
 * A study: one base experiment and the axes it is repeated over. Every run is the base config
 * with one grid point (and one list entry) set, one seed and one fold.
 */
export const studySchema = z.strictObject({
  /** The study's name; default directory studies/<name>. Default: the study file's name. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
    .optional(),
  /** The base experiment config, relative to the study file. */
  base: z.string().min(1),
  /** Study directory (relative to the working directory); --out overrides it. */
  out: z.string().min(1).optional(),
  /** k-fold cross-validation: every combination runs once per fold (data.split.folds / fold). */
  folds: z.int().min(2).max(100).nullable().default(null),
  /** Seed repeats: every combination runs once per seed (the config's seed key). */
  seeds: z.array(z.int().min(0)).min(1).nullable().default(null),
  /** Every combination of these values, e.g. {model.name: [resnet18, efficientnet_b0], train.optimizer.lr: [1e-3, 3e-4]}. */
  grid: z.record(configKey, z.array(z.unknown()).min(1)).default({}),
  /** Explicit combinations (crossed with the grid), e.g. [{model.name: vit_small, train.layerDecay: 0.65}, ...]. */
  list: z.array(z.record(configKey, z.unknown())).min(1).nullable().default(null),
  slurm: slurmConfigSchema.prefault({}),
});

export type Study = z.infer<typeof studySchema>;
export type SlurmConfig = z.infer<typeof slurmConfigSchema>;

export interface LoadedStudy {
  study: Study & { name: string };
  /** The study file (absolute). */
  file: string;
  /** The base config file (absolute). */
  baseFile: string;
}

const TOP_KEYS = Object.keys(studySchema.shape);
const SLURM_KEYS = Object.keys(slurmConfigSchema.shape);

/** Reads and validates a study file; a problem is one line naming the file and the key. */
export function loadStudy(file: string): LoadedStudy {
  const abs = path.resolve(file);
  const shown = path.relative(process.cwd(), abs) || abs;
  const raw = readConfigFile(abs);
  const result = studySchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const allowed = where === 'slurm' ? SLURM_KEYS : TOP_KEYS;
      const key = issue.keys[0];
      const hint = closest(key, allowed);
      throw new UserError(
        `${shown}: unknown key "${where ? `${where}.` : ''}${key}" ${hint ? `(did you mean "${hint}"?)` : `(allowed: ${allowed.join(', ')})`}`,
      );
    }
    throw new UserError(`${shown}: ${where ? `${where}: ` : ''}${issue.message}`);
  }
  const study = result.data;
  const name =
    study.name ??
    path
      .basename(abs)
      .replace(/\.(ya?ml|json)$/i, '')
      .replace(/[^A-Za-z0-9._-]/g, '_');
  return { study: { ...study, name }, file: abs, baseFile: path.resolve(path.dirname(abs), study.base) };
}
