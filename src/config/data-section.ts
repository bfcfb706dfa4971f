import * as path from 'path';
import type { DataConfig } from '../data/config';
import { resolveDataPaths } from '../data/resolve-paths';
import { applyOverrides, readConfigFile, validateConfig } from './load';
import { resolveConfig } from './resolve';

/**
 * The data section and seed of a config file, for commands that need a dataset without a training run
 * (`data`, `eval --data`): a whole experiment config is resolved as training resolves it; a file with
 * just `data:` (or a bare data section) is validated as part of an experiment with a placeholder model,
 * never built, so its errors are the same one-line messages as training's. Paths come out absolute.
 */
export function readDataConfig(file: string, overrides: string[] = []): { data: DataConfig; seed: number } {
  const abs = path.resolve(file);
  const raw = applyOverrides(readConfigFile(abs), overrides);
  if ('model' in raw) {
    const { config } = resolveConfig(abs, overrides);
    return { data: config.data, seed: config.seed };
  }
  const shown = path.relative(process.cwd(), abs) || abs;
  const config = validateConfig({ seed: raw.seed, data: raw.data ?? raw, model: { name: 'none' } }, shown);
  return { data: resolveDataPaths(config.data, path.dirname(abs)), seed: config.seed };
}
