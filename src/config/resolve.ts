import * as fs from 'fs';
import * as path from 'path';
import { hashText } from '../util/hash';
import { resolveDataPaths } from '../data/config';
import { checkModelArgs, getModelEntry } from '../models';
import { UserError } from '../util/errors';
import { applyOverrides, readConfigFile, validateConfig } from './load';
import { ExperimentConfig } from './schema';
import { scaledLr } from '../train/schedulers';

export interface ResolvedConfig {
  config: ExperimentConfig;
  /** The config file it came from (absolute). */
  file: string;
  /** The run directory (absolute). */
  outDir: string;
}

/**
 * Reads, overrides, validates and resolves an experiment config: relative paths become absolute
 * (from the config file's folder), and defaults that depend on the model (input size, normalisation)
 * are filled in, so the written config.json names every value that shaped the run.
 */
export function resolveConfig(file: string, overrides: string[] = [], outOverride?: string): ResolvedConfig {
  const abs = path.resolve(file);
  const raw = applyOverrides(readConfigFile(abs), overrides);
  const shown = path.relative(process.cwd(), abs) || abs;
  const model = (raw.model ?? {}) as Record<string, unknown>;
  const data = (raw.data ?? {}) as Record<string, unknown>;
  // The model's own input convention is the default normalisation (timm's pretrained_cfg).
  if (typeof model.name === 'string' && typeof raw.data === 'object' && data.normalize === undefined) {
    try {
      const cfg = getModelEntry(model.name).pretrainedCfg;
      data.normalize = { mean: cfg.mean, std: cfg.std };
    } catch {
      // Unknown model: validation below names it.
    }
  }
  const config = validateNamingOverrides(raw, shown, overrides);
  const configDir = path.dirname(abs);
  const entry = getModelEntry(config.model.name);
  config.model.imageSize ??= entry.pretrainedCfg.inputSize;
  try {
    checkModelArgs(config.model.name, config.model.args);
  } catch (e) {
    // The family's schema names the key; the file name goes in front, as for every config error.
    throw e instanceof UserError ? new UserError(`${shown}: ${e.message}`) : e;
  }
  config.data = resolveDataPaths(config.data, configDir);
  if (config.model.pretrained) {
    config.model.pretrained = path.resolve(configDir, config.model.pretrained);
    if (!fs.existsSync(config.model.pretrained)) {
      throw new UserError(`${shown}: model.pretrained: file not found: ${config.model.pretrained}`);
    }
  }
  resolveBaseLr(raw, config, shown);
  if (config.train.strategy === 'lp-ft' && config.train.lpEpochs < 1) {
    throw new UserError(`${shown}: train.lpEpochs: lp-ft needs at least 1 linear-probing epoch`);
  }
  // Each cross-validation fold is its own run.
  const defaultName = config.data.split.folds ? `${config.name}-fold${config.data.split.fold}` : config.name;
  const outDir = path.resolve(outOverride ?? config.out ?? path.join('runs', defaultName));
  config.out = outDir;
  return { config, file: abs, outDir };
}

/** validateConfig, with a problem in a key given by `--set key=value` blamed on that `--set`, not on the file. */
function validateNamingOverrides(raw: Record<string, unknown>, shown: string, overrides: string[]): ExperimentConfig {
  try {
    return validateConfig(raw, shown);
  } catch (e) {
    if (!(e instanceof UserError) || !e.message.startsWith(`${shown}: `)) throw e;
    const problem = e.message.slice(shown.length + 2);
    const culprit = overrides.find((o) => {
      const key = o
        .slice(0, o.indexOf('='))
        .trim()
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      return new RegExp(`(^|[\\s"])${key}(["\\s:.]|$)`).test(problem);
    });
    if (!culprit) throw e;
    throw new UserError(`--set ${culprit}: ${problem}`);
  }
}

/** train.optimizer.baseLr (RETFound's batch/256 rule) becomes the lr that config.json records. */
function resolveBaseLr(raw: Record<string, unknown>, config: ExperimentConfig, shown: string): void {
  const opt = config.train.optimizer;
  if (opt.baseLr === null) return;
  const rawOpt = ((raw.train ?? {}) as Record<string, unknown>).optimizer as Record<string, unknown> | undefined;
  if (rawOpt?.lr !== undefined) throw new UserError(`${shown}: train.optimizer: give lr or baseLr, not both`);
  opt.lr = scaledLr(opt.baseLr, config.train.batchSize);
}

/**
 * Hash of what determines a run's results: train.epochs, out, and the data pipeline's caching and
 * prefetch depth (which change speed, not results) may differ on resume.
 */
export function configHash(config: ExperimentConfig): string {
  const { out: _out, ...rest } = config;
  void _out;
  const { cache: _cache, prefetch: _prefetch, ...data } = rest.data;
  void _cache;
  void _prefetch;
  const stable = { ...rest, data, train: { ...rest.train, epochs: 0 } };
  return hashText(JSON.stringify(stable));
}
