import type { DataConfig } from '../config';
import { withPositiveClass } from '../positive-class';
import { withPreparedImages } from '../prepared-images';
import { Dataset } from '../types';
import { getDataSource } from './registry';
import { LoadDatasetOptions } from './source';

export type { LoadDatasetOptions } from './source';
export type { DataSource } from './source';
export { DATA_SOURCES, getDataSource } from './registry';

/**
 * Loads the dataset a data config describes: labels, classes and how to get each image (images
 * themselves are decoded lazily by the pipeline), prepared as data.preprocess, data.minImageSize and
 * data.cache say. Paths should already be absolute (resolveDataPaths); relative ones are taken from the
 * working directory.
 */
export async function loadDataset(cfg: DataConfig, opts: LoadDatasetOptions): Promise<Dataset> {
  const dataset = withPositiveClass(await getDataSource(cfg.source).load(cfg, opts), cfg.positiveClass);
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
