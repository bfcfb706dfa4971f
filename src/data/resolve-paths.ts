import type { DataConfig } from './config';
import { getDataSource } from './sources/registry';

/**
 * Makes every path in the data config absolute, relative paths being taken from the config
 * file's folder (paths inside a dataset folder from its root), and fills in defaults that depend on
 * other paths (a CSV's imagesDir), so that the resolved config names exactly the files used.
 * The disk cache folder is left as written: it belongs to the working directory, not the experiment.
 */
export function resolveDataPaths(cfg: DataConfig, configDir: string): DataConfig {
  return getDataSource(cfg.source).resolvePaths(cfg, configDir) as DataConfig;
}
