import { createHash } from 'crypto';
import * as path from 'path';
import { UserError } from '../util/errors';
import { CacheConfig, PreprocessConfig } from './config';
import { fileContentHash } from './content-hash';
import { DiskImageCache } from './disk-cache';
import {
  decodeImage,
  decodeImageAtSize,
  decodeImageInside,
  DEFAULT_MAX_IMAGE_PIXELS,
  DEFAULT_RESIZE_FIT,
  imageDimensions,
  resizeRgb,
  tooManyPixelsError,
  tooSmallError,
} from './image';
import { decodeSideFor, hasPreprocessing, preprocessRgb, PREPROCESS_VERSION } from './preprocess';
import { Dataset, RgbImage, Sample } from './types';

export interface PreparedImagesOptions {
  preprocess: PreprocessConfig;
  /** Images with a side below this are bad input (UserError naming the file). */
  minImageSize: number;
  /** Images of more pixels are refused from their header, before decoding (default 50 megapixels). */
  maxImagePixels?: number;
  cache: CacheConfig;
  /** Folder a relative cache folder is taken from; default: the working directory. */
  cwd?: string;
  /** Where a problem with the disk cache is reported, once; default: a line on stderr. */
  warn?: (line: string) => void;
}

/** Repeats a UserError about `file` with where its label came from ("(trainLabels.csv row 12)") after the path. */
function withOrigin(e: unknown, file: string | undefined, origin: string | undefined): unknown {
  if (!(e instanceof UserError) || !origin) return e;
  const where = file && e.message.includes(file) ? e.message.replace(file, `${file} (${origin})`) : `${e.message} (${origin})`;
  return new UserError(where);
}

/**
 * The dataset with its images prepared the way the config says: the size check (minImageSize), the
 * fundus preprocessing chain and the resize to the model's size, with results of image files kept on
 * disk (data.cache) keyed by the file's content hash, the preprocessing settings and the size — so a
 * second run, or an epoch whose images fell out of the memory cache, decodes nothing.
 *
 * Why the content hash rather than path + size + mtime: a key from content stays right when a dataset
 * is moved, copied or re-extracted (new mtimes, same bytes), is shared by exact duplicates, and can
 * never serve a stale picture for a file replaced in place with the same size and a preserved mtime
 * (rsync -t, cp -p, unzip). Its cost is one read of each file per process (memoised by path, size and
 * mtime), a small fraction of a decode.
 */
export function withPreparedImages(dataset: Dataset, opts: PreparedImagesOptions): Dataset {
  const pre = opts.preprocess;
  const preprocessing = hasPreprocessing(pre);
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`fundus-train: warning: ${line}\n`));
  let disk = opts.cache.disk ? new DiskImageCache(path.resolve(opts.cwd ?? process.cwd(), opts.cache.dir)) : null;
  const settings = JSON.stringify({ version: PREPROCESS_VERSION, preprocess: pre, fit: DEFAULT_RESIZE_FIT });

  const checkSize = (file: string, width: number, height: number): void => {
    if (width < opts.minImageSize || height < opts.minImageSize) throw tooSmallError(file, width, height, opts.minImageSize);
  };

  const maxPixels = opts.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const fromFile = async (file: string, size: number | undefined): Promise<RgbImage> => {
    const { width, height } = await imageDimensions(file);
    checkSize(file, width, height);
    if (width * height > maxPixels) throw tooManyPixelsError(file, width, height, maxPixels);
    if (size === undefined) return preprocessing ? preprocessRgb(await decodeImage(file, maxPixels), pre) : decodeImage(file, maxPixels);
    if (!preprocessing) return decodeImageAtSize(file, size, DEFAULT_RESIZE_FIT, maxPixels);
    // Without the field-of-view crop the chain starts from the pipeline's own resize.
    if (!pre.fovCrop) return preprocessRgb(await decodeImageAtSize(file, size, DEFAULT_RESIZE_FIT, maxPixels), pre, size);
    return preprocessRgb(await decodeImageInside(file, decodeSideFor(pre, size), maxPixels), pre, size);
  };

  const generated = async (sample: Sample, size: number | undefined): Promise<RgbImage> => {
    const img = await dataset.loadImage(sample);
    checkSize(sample.id, img.width, img.height);
    if (preprocessing) return preprocessRgb(img, pre, size);
    return size === undefined ? img : resizeRgb(img, size);
  };

  const keyOf = async (file: string, size: number): Promise<string> =>
    createHash('sha256')
      .update(`${settings}\n${await fileContentHash(file)}\n${size}`)
      .digest('hex');

  const store = async (key: string, img: RgbImage): Promise<void> => {
    const cache = disk;
    if (!cache) return;
    try {
      await cache.set(key, img);
    } catch (e) {
      // Several writes may fail at once: the first to get here reports it.
      if (disk) warn(`data.cache: cannot write to ${cache.dir} (${e instanceof Error ? e.message : String(e)}); going on without the disk cache`);
      disk = null;
    }
  };

  const load = async (sample: Sample, size: number | undefined): Promise<RgbImage> => {
    try {
      if (!sample.file) return await generated(sample, size);
      if (!disk || size === undefined) return await fromFile(sample.file, size);
      const key = await keyOf(sample.file, size);
      const hit = await disk.get(key);
      if (hit) return hit;
      const img = await fromFile(sample.file, size);
      await store(key, img);
      return img;
    } catch (e) {
      if (!(e instanceof UserError) && sample.file && (e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw withOrigin(
          new UserError(`image file not found: ${sample.file}; replace it, or set data.skipBadImages: true to skip unreadable images`),
          sample.file,
          sample.origin,
        );
      }
      throw withOrigin(e, sample.file, sample.origin);
    }
  };

  return {
    ...dataset,
    loadImage: (sample) => load(sample, undefined),
    loadImageAtSize: (sample, size) => load(sample, size),
  };
}
