/** The data layer: config, sources, decoding, splits, augmentation and the batch pipeline. */
export * from './types';
export * from './config';
export { loadDataset, loadCsvDataset, loadImageFolderDataset, loadSyntheticDataset } from './sources';
export type { LoadDatasetOptions } from './sources';
export { decodeImage, decodeImageAtSize, resizeRgb, encodePng, DEFAULT_RESIZE_FIT } from './image';
export type { ResizeFit } from './image';
export { splitDataset, splitsCsv, labelKey } from './split';
export type { SplitIndices } from './split';
export { augmentImage, drawAugmentParams, isIdentityAugment } from './augment';
export type { AugmentParams } from './augment';
export { ImageBatches } from './pipeline';
export type { Batch, ImageBatchesOptions } from './pipeline';
export { ImageCache, DEFAULT_CACHE_BYTES } from './image-cache';
export { drawScene, sceneLabels, SYNTHETIC_CLASSES } from './synthetic/scene';
export type { FundusScene, Lesion } from './synthetic/scene';
export { renderFundus } from './synthetic/render-fundus';
