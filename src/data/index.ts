/** The data layer: config, sources, decoding, preprocessing, splits, augmentation, the batch pipeline and the audit. */
export * from './types';
export * from './config';
export {
  loadDataset,
  loadCsvDataset,
  loadImageFolderDataset,
  loadSyntheticDataset,
  loadRefugeDataset,
  loadKaggleDrDataset,
  loadAptosDataset,
  loadIdridDataset,
  loadOdirDataset,
  odirClassOfKeyword,
  odirEyeLabels,
  REFUGE_CLASSES,
  DR_GRADE_NAMES,
} from './sources';
export type { LoadDatasetOptions, DataSource } from './sources';
export { DATA_SOURCES, getDataSource } from './sources';
export { decodeImage, decodeImageAtSize, decodeImageInside, imageDimensions, resizeRgb, encodePng, DEFAULT_RESIZE_FIT } from './image';
export type { ResizeFit } from './image';
export {
  findFieldOfView,
  squareAround,
  preprocessRgb,
  hasPreprocessing,
  applyClahe,
  claheChannel,
  benGraham,
  PREPROCESS_VERSION,
} from './preprocess';
export type { Box, FieldOfView } from './preprocess';
export { withPreparedImages } from './prepared-images';
export type { PreparedImagesOptions } from './prepared-images';
export { DiskImageCache } from './disk-cache';
export { fileContentHash } from './content-hash';
export { splitDataset, splitsCsv, labelKey, foldOf } from './split';
export type { SplitIndices, SplitOptions } from './split';
export { augmentImage, drawAugmentParams, isIdentityAugment } from './augment';
export type { AugmentParams } from './augment';
export { ImageBatches } from './pipeline';
export type { Batch, ImageBatchesOptions } from './pipeline';
export { ImageCache, DEFAULT_CACHE_BYTES } from './image-cache';
export { auditDataset } from './audit';
export type { AuditOptions, AuditReport, AuditImage, SplitCounts } from './audit';
export { benchmarkPipeline } from './pipeline-throughput';
export type { PipelineBenchOptions, PipelineBenchResult } from './pipeline-throughput';
export { drawScene, sceneLabels, SYNTHETIC_CLASSES } from './synthetic/scene';
export type { FundusScene, Lesion } from './synthetic/scene';
export { renderFundus } from './synthetic/render-fundus';
