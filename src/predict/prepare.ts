import { ImageBatches, Batch } from '../data/pipeline';
import { withPreparedImages } from '../data/prepared-images';
import { fileImageLoaders } from '../data/sources/file-images';
import { findFieldOfView, squareAround, Box } from '../data/preprocess';
import { PreprocessConfig } from '../data/config';
import { Dataset, RgbImage, Sample } from '../data/types';
import { isUserError } from '../util/errors';
import { Predictor } from './predictor';

/** A file that could not be prepared, with the data layer's one-line reason. */
export interface PrepareFailure {
  index: number;
  file: string;
  error: string;
}

/**
 * The files as a dataset the data layer prepares exactly as it prepared the run's training images:
 * the run's data.preprocess chain (field-of-view crop, CLAHE, Ben Graham), its minImageSize and maxImagePixels checks and
 * the same decode and resize. Labels are placeholders: nothing here is scored. The disk cache is off
 * (predicting must not fill a cache folder beside the user's images).
 */
export function predictionDataset(predictor: Pick<Predictor, 'config' | 'classes' | 'task'>, files: string[]): Dataset {
  const { task, classes, config } = predictor;
  const samples: Sample[] = files.map((file) =>
    task === 'multilabel' ? { id: file, file, labels: classes.map(() => 0) } : { id: file, file, label: 0 },
  );
  const dataset: Dataset = { source: 'predict', task, classes, samples, ...fileImageLoaders(), warnings: [] };
  return withPreparedImages(dataset, {
    preprocess: config.data.preprocess,
    minImageSize: config.data.minImageSize,
    // Runs trained before data.maxImagePixels existed have no such key: the default applies.
    maxImagePixels: config.data.maxImagePixels,
    cache: { ...config.data.cache, disk: false },
  });
}

/**
 * Normalised model inputs for the files, batch by batch, through the training pipeline itself
 * (ImageBatches without augmentation). Unreadable files are left out of their batch and reported
 * in `failures` with the reason; the rest still come.
 */
export async function* preparedBatches(
  predictor: Pick<Predictor, 'config' | 'classes' | 'task' | 'model'>,
  files: string[],
  failures: PrepareFailure[],
  batchSize = predictor.config.train.batchSize,
): AsyncGenerator<Batch> {
  const dataset = predictionDataset(predictor, files);
  const batches = new ImageBatches(
    dataset,
    files.map((_, i) => i),
    {
      imageSize: predictor.model.imageSize,
      batchSize: Math.max(1, batchSize),
      normalize: predictor.config.data.normalize,
      seed: predictor.config.seed,
      prefetch: 1,
      skipBadImages: true,
      // Every image is seen once: nothing to keep.
      cacheBytes: 0,
    },
  );
  const reported = new Set<number>();
  const reportSkipped = async () => {
    for (const index of batches.skipped) {
      if (reported.has(index)) continue;
      reported.add(index);
      failures.push({ index, file: files[index], error: await failureReason(dataset, index, predictor.model.imageSize) });
    }
  };
  for await (const batch of batches.epoch(0)) {
    await reportSkipped();
    yield batch;
  }
  await reportSkipped();
  failures.sort((a, b) => a.index - b.index);
}

/** Why a file the pipeline skipped is unreadable: the data layer's own message, from a second attempt. */
async function failureReason(dataset: Dataset, index: number, size: number): Promise<string> {
  try {
    await dataset.loadImageAtSize!(dataset.samples[index], size);
    return 'could not be read';
  } catch (e) {
    const message = isUserError(e) || e instanceof Error ? e.message : String(e);
    // The data layer's advice on training configs (data.skipBadImages) does not apply to predicting.
    return message.replace(/; replace (?:or remove )?(?:the file|it)\b.*$/, '');
  }
}

/**
 * Where the model's square input lies on the original photograph: with the field-of-view crop, the
 * square around the fundus (it may reach outside the photograph); otherwise the centred square of
 * the shorter side, which is what the pipeline's 'cover' resize keeps.
 */
export function modelSquareOnOriginal(original: RgbImage, preprocess: PreprocessConfig): Box {
  const { width: W, height: H } = original;
  if (preprocess.fovCrop) return squareAround(findFieldOfView(original, preprocess.fovCrop.tolerance));
  const side = Math.min(W, H);
  return { x: (W - side) / 2, y: (H - side) / 2, width: side, height: side };
}
