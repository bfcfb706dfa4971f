import { isUserError } from '../util/errors';
import { Rng } from '../util/random';
import { augmentImage, drawAugmentParams, isIdentityAugment } from './augment';
import { prepareRandAugment, PreparedRandAugment, randomErase } from './augment/index';
import { AugmentConfig, NormalizeConfig } from './config';
import { resizeRgb } from './image';
import { DEFAULT_CACHE_BYTES, ImageCache } from './image-cache';
import { createLimiter } from './limiter';
import { weightedDraw } from './sampler';
import { Dataset, RgbImage } from './types';

/** One batch as the trainer consumes it. */
export interface Batch {
  /** size * imageSize * imageSize * 3 floats, NHWC, normalised with the config's mean and std. */
  x: Float32Array;
  /** size * numClasses: one-hot for binary and multiclass, 0/1 per class for multi-label. */
  y: Float32Array;
  /** Images in this batch (the last one may be smaller). */
  size: number;
  /** Sample indices (into dataset.samples), in batch order. */
  indices: number[];
}

export interface ImageBatchesOptions {
  /** Side of the square model input in pixels. */
  imageSize: number;
  batchSize: number;
  normalize: NormalizeConfig;
  /** Seed of the per-epoch shuffle (stream 'shuffle:<epoch>'); undefined keeps the given order. */
  shuffleSeed?: number;
  /** Training augmentation; undefined (validation, test) = none. */
  augment?: AugmentConfig;
  /** Seed of the augmentation (stream 'augment:<epoch>:<sample index>' per image). */
  seed: number;
  /** Weighted sampling with replacement (data.sampler), one weight per index; the epoch keeps its length. */
  sampleWeights?: readonly number[];
  /** Leave out a last batch smaller than batchSize. */
  dropLast?: boolean;
  /** Batches prepared ahead of the consumer. */
  prefetch: number;
  /** Images decoded at once (sharp works on libuv's thread pool, 4 threads by default). */
  concurrency?: number;
  /** Resized images kept in memory; pass one cache to several pipelines over the same dataset to share it. */
  cache?: ImageCache;
  /** Budget of the cache created when `cache` is not given. */
  cacheBytes?: number;
  /** Leave unreadable images out of their batch (recorded in `skipped`) instead of failing. */
  skipBadImages?: boolean;
}

const DEFAULT_CONCURRENCY = 4;

/**
 * Batches of decoded, resized, augmented and normalised images for a list of sample indices.
 * Everything random is keyed, not sequential: epoch e's order comes from Rng(shuffleSeed, 'shuffle:e')
 * and each image's augmentation from Rng(seed, 'augment:e:index'), so a run resumed at epoch e sees
 * exactly the batches an uninterrupted run sees, whatever the prefetch depth, concurrency or timing.
 */
export class ImageBatches {
  readonly numBatches: number;
  readonly numClasses: number;
  /** Sample indices left out as unreadable (only with skipBadImages). */
  readonly skipped = new Set<number>();
  readonly cache: ImageCache;
  private readonly indices: number[];
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;
  private readonly lut: Float32Array[];
  private readonly randAugment: PreparedRandAugment | null;

  constructor(
    private readonly dataset: Dataset,
    indices: number[],
    private readonly opts: ImageBatchesOptions,
  ) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${opts.batchSize}`);
    if (!Number.isInteger(opts.imageSize) || opts.imageSize < 1) throw new Error(`imageSize must be a positive integer, got ${opts.imageSize}`);
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= dataset.samples.length)
        throw new Error(`sample index ${i} is outside the dataset (0..${dataset.samples.length - 1})`);
    }
    this.indices = [...indices];
    this.numClasses = dataset.classes.length;
    this.numBatches = opts.dropLast ? Math.floor(indices.length / opts.batchSize) : Math.ceil(indices.length / opts.batchSize);
    this.cache = opts.cache ?? new ImageCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.cache.bind(dataset);
    this.limit = createLimiter(opts.concurrency ?? DEFAULT_CONCURRENCY);
    // Normalising an 8-bit value is a table look-up per channel.
    this.randAugment = opts.augment?.randAugment ? prepareRandAugment(opts.augment.randAugment, opts.normalize.mean) : null;
    this.lut = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - opts.normalize.mean[c]) / opts.normalize.std[c]));
  }

  /** The sample indices of epoch `epoch` in the order they are served. */
  order(epoch: number): number[] {
    if (this.opts.sampleWeights) {
      return weightedDraw(
        this.indices,
        this.opts.sampleWeights,
        this.indices.length,
        Rng.create(this.opts.shuffleSeed ?? this.opts.seed, `sampler:${epoch}`),
      );
    }
    if (this.opts.shuffleSeed === undefined) return [...this.indices];
    return Rng.create(this.opts.shuffleSeed, `shuffle:${epoch}`).shuffle([...this.indices]);
  }

  /** The batches of one epoch, prepared `prefetch` batches ahead of the consumer. */
  async *epoch(epochIndex: number): AsyncGenerator<Batch> {
    const order = this.order(epochIndex);
    const groups: number[][] = [];
    for (let b = 0; b < this.numBatches; b++) groups.push(order.slice(b * this.opts.batchSize, (b + 1) * this.opts.batchSize));
    const inFlight: Array<Promise<Batch | null>> = [];
    let next = 0;
    const ahead = Math.max(0, Math.floor(this.opts.prefetch));
    for (let b = 0; b < groups.length; b++) {
      // Keep this batch and `ahead` more in preparation while the consumer works.
      while (next < groups.length && inFlight.length < ahead + 1) {
        const p = this.buildBatch(groups[next], epochIndex, next++ * this.opts.batchSize);
        p.catch(() => undefined); // a consumer that stops early must not leave an unhandled rejection behind
        inFlight.push(p);
      }
      const batch = await inFlight.shift()!;
      if (batch) yield batch;
    }
  }

  /** The resized, un-augmented image of one sample, from the cache when it is there. */
  private async resized(index: number): Promise<RgbImage> {
    const size = this.opts.imageSize;
    const cached = this.cache.get(index, size);
    if (cached) return cached;
    const sample = this.dataset.samples[index];
    const img = this.dataset.loadImageAtSize
      ? await resizeRgb(await this.dataset.loadImageAtSize(sample, size), size)
      : await resizeRgb(await this.dataset.loadImage(sample), size);
    this.cache.set(index, size, img);
    return img;
  }

  private async buildBatch(group: number[], epoch: number, start: number): Promise<Batch | null> {
    const loaded = await Promise.all(
      group.map((index) =>
        this.limit(async () => {
          try {
            return await this.resized(index);
          } catch (e) {
            if (this.opts.skipBadImages && isUserError(e)) {
              this.skipped.add(index);
              return null;
            }
            throw e;
          }
        }),
      ),
    );
    const indices = group.filter((_, k) => loaded[k] !== null);
    const positions = group.map((_, k) => start + k).filter((_, k) => loaded[k] !== null);
    const images = loaded.filter((img): img is RgbImage => img !== null);
    if (images.length === 0) return null;

    const S = this.opts.imageSize;
    const pixels = S * S * 3;
    const x = new Float32Array(images.length * pixels);
    const y = new Float32Array(images.length * this.numClasses);
    const augment = this.opts.augment && !isIdentityAugment(this.opts.augment) ? this.opts.augment : undefined;
    const { mean, std } = this.opts.normalize;
    images.forEach((img, k) => {
      const offset = k * pixels;
      if (augment) {
        // Drawn with replacement, an image can come twice in an epoch: each draw gets its own augmentation.
        const key = this.opts.sampleWeights ? `augment:${epoch}@${positions[k]}` : `augment:${epoch}:${indices[k]}`;
        const rng = Rng.create(this.opts.seed, key);
        // RandAugment (8-bit, first) and random erasing (normalised, last) draw from streams of their own,
        // so switching them on leaves every other augmentation draw as it was.
        const source = this.randAugment ? this.randAugment.apply(img, Rng.create(this.opts.seed, `${key}:ra`)) : img;
        const px = augmentImage(source, drawAugmentParams(augment, S, S, rng));
        for (let i = 0; i < pixels; i++) x[offset + i] = (px[i] - mean[i % 3]) / std[i % 3];
        if (augment.randomErasing) randomErase(x, offset, S, S, augment.randomErasing, Rng.create(this.opts.seed, `${key}:erase`));
      } else {
        for (let i = 0; i < pixels; i++) x[offset + i] = this.lut[i % 3][img.data[i]];
      }
      this.writeTarget(y, k, indices[k]);
    });
    return { x, y, size: images.length, indices };
  }

  private writeTarget(y: Float32Array, k: number, index: number): void {
    const sample = this.dataset.samples[index];
    const row = k * this.numClasses;
    if (this.dataset.task === 'multilabel') {
      const labels = sample.labels;
      if (!labels || labels.length !== this.numClasses) throw new Error(`sample ${sample.id} has no ${this.numClasses} multi-label flags`);
      for (let c = 0; c < this.numClasses; c++) y[row + c] = labels[c];
    } else {
      if (sample.label === undefined || sample.label < 0 || sample.label >= this.numClasses)
        throw new Error(`sample ${sample.id} has no class index`);
      y[row + sample.label] = 1;
    }
  }
}
