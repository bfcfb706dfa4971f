import { DataConfig, DataSourceName } from '../config';
import { withPositiveClass } from '../positive-class';
import { withPreparedImages } from '../prepared-images';
import { Dataset } from '../types';
import { loadAptosDataset } from './aptos';
import { loadCsvDataset } from './csv';
import { loadIdridDataset } from './idrid';
import { loadImageFolderDataset } from './image-folder';
import { loadKaggleDrDataset } from './kaggle-dr';
import { loadOdirDataset } from './odir';
import { loadRefugeDataset } from './refuge';
import { loadSyntheticDataset } from './synthetic';

export interface LoadDatasetOptions {
  /** The experiment seed (the synthetic source renders from it). */
  seed: number;
  /** Folder a relative data.cache.dir is taken from; default: the working directory. */
  cwd?: string;
  /** Where a problem that appears while images load (the disk cache cannot be written) is reported; default: stderr. */
  warn?: (line: string) => void;
}

type Loader<S extends DataSourceName> = (cfg: Extract<DataConfig, { source: S }>, opts: LoadDatasetOptions) => Promise<Dataset>;

/** One loader per `data.source`; a new source is a file in this folder and a line here (and in config.ts). */
const LOADERS: { [S in DataSourceName]: Loader<S> } = {
  synthetic: loadSyntheticDataset,
  'image-folder': (cfg) => loadImageFolderDataset(cfg),
  csv: (cfg) => loadCsvDataset(cfg),
  refuge: (cfg) => loadRefugeDataset(cfg),
  'kaggle-dr': (cfg) => loadKaggleDrDataset(cfg),
  aptos: (cfg) => loadAptosDataset(cfg),
  idrid: (cfg) => loadIdridDataset(cfg),
  odir: (cfg) => loadOdirDataset(cfg),
};

/**
 * Loads the dataset a data config describes: labels, classes and how to get each image (images
 * themselves are decoded lazily by the pipeline), prepared as data.preprocess, data.minImageSize and
 * data.cache say. Paths should already be absolute (resolveDataPaths); relative ones are taken from the
 * working directory.
 */
export async function loadDataset(cfg: DataConfig, opts: LoadDatasetOptions): Promise<Dataset> {
  const load = LOADERS[cfg.source] as Loader<DataSourceName>;
  const dataset = withPositiveClass(await load(cfg as never, opts), cfg.positiveClass);
  return withPreparedImages(dataset, {
    preprocess: cfg.preprocess,
    minImageSize: cfg.minImageSize,
    maxImagePixels: cfg.maxImagePixels,
    cache: cfg.cache,
    cwd: opts.cwd,
    warn: opts.warn,
  });
}

export { loadCsvDataset } from './csv';
export { loadImageFolderDataset } from './image-folder';
export { loadSyntheticDataset } from './synthetic';
export { loadRefugeDataset, REFUGE_CLASSES } from './refuge';
export { loadKaggleDrDataset } from './kaggle-dr';
export { loadAptosDataset } from './aptos';
export { loadIdridDataset } from './idrid';
export { loadOdirDataset, odirClassOfKeyword, odirEyeLabels, splitKeywords } from './odir';
export { DR_GRADE_NAMES } from './labels';
