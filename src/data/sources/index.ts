import { DataConfig, DataSourceName } from '../config';
import { Dataset } from '../types';
import { loadCsvDataset } from './csv';
import { loadImageFolderDataset } from './image-folder';
import { loadSyntheticDataset } from './synthetic';

export interface LoadDatasetOptions {
  /** The experiment seed (the synthetic source renders from it). */
  seed: number;
}

type Loader<S extends DataSourceName> = (cfg: Extract<DataConfig, { source: S }>, opts: LoadDatasetOptions) => Promise<Dataset>;

/** One loader per `data.source`; a new source is a file in this folder and a line here (and in config.ts). */
const LOADERS: { [S in DataSourceName]: Loader<S> } = {
  synthetic: loadSyntheticDataset,
  'image-folder': (cfg) => loadImageFolderDataset(cfg),
  csv: (cfg) => loadCsvDataset(cfg),
};

/**
 * Loads the dataset a data config describes: labels, classes and how to get each image (images
 * themselves are decoded lazily by the pipeline). Paths should already be absolute (resolveDataPaths);
 * relative ones are taken from the working directory.
 */
export function loadDataset(cfg: DataConfig, opts: LoadDatasetOptions): Promise<Dataset> {
  const load = LOADERS[cfg.source] as Loader<DataSourceName>;
  return load(cfg as never, opts);
}

export { loadCsvDataset } from './csv';
export { loadImageFolderDataset } from './image-folder';
export { loadSyntheticDataset } from './synthetic';
