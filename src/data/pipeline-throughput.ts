import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataConfig } from './config';
import { ImageCache } from './image-cache';
import { ImageBatches } from './pipeline';
import { loadDataset } from './sources';

export interface PipelineBenchOptions {
  seed: number;
  /** Model input sizes to measure. */
  sizes: number[];
  batchSize?: number;
  /** Images per measurement (the first of the dataset); default: all. */
  images?: number;
  /** Images decoded at once (the pipeline's default is 4). */
  concurrency?: number;
  /** Called with a line after each measurement. */
  onResult?: (line: string) => void;
}

export interface PipelineBenchResult {
  size: number;
  images: number;
  /** Every image decoded and preprocessed: no disk cache, no memory cache (the first epoch of a first run). */
  noCache: number;
  /** The first epoch of a first run with the disk cache on: decode, preprocess and write. */
  fillDiskCache: number;
  /** A later run: every image read from the disk cache, nothing decoded. */
  diskCache: number;
  /** A later epoch of the same run: every image from the memory cache. */
  memoryCache: number;
}

/** Images per second one epoch of the training pipeline (shuffle, config augmentation, normalisation) delivers. */
async function epochRate(batches: ImageBatches, epoch: number): Promise<number> {
  const start = process.hrtime.bigint();
  let n = 0;
  for await (const b of batches.epoch(epoch)) n += b.size;
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Measures how many images per second the training pipeline serves for a data config at each size:
 * with no cache at all, while filling the disk cache, from the disk cache (a new run: new dataset and
 * pipeline objects, empty memory cache) and from the memory cache (a later epoch). The disk cache lives
 * in a temporary folder that is removed afterwards.
 */
export async function benchmarkPipeline(cfg: DataConfig, opts: PipelineBenchOptions): Promise<PipelineBenchResult[]> {
  const results: PipelineBenchResult[] = [];
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-train-bench-'));
  try {
    for (const size of opts.sizes) {
      const load = (disk: boolean) => loadDataset({ ...cfg, cache: { disk, dir: cacheDir } }, { seed: opts.seed });
      const plain = await load(false);
      const count = Math.min(opts.images ?? plain.samples.length, plain.samples.length);
      const indices = Array.from({ length: count }, (_, i) => i);
      const options = (memoryBytes: number) => ({
        imageSize: size,
        batchSize: opts.batchSize ?? 16,
        normalize: cfg.normalize,
        seed: opts.seed,
        shuffleSeed: opts.seed,
        augment: cfg.augment,
        prefetch: cfg.prefetch,
        concurrency: opts.concurrency,
        cache: new ImageCache(memoryBytes),
      });
      const noCache = await epochRate(new ImageBatches(plain, indices, options(0)), 0);
      const fillDiskCache = await epochRate(new ImageBatches(await load(true), indices, options(0)), 0);
      const later = new ImageBatches(await load(true), indices, options(Number.MAX_SAFE_INTEGER));
      const diskCache = await epochRate(later, 0);
      const memoryCache = await epochRate(later, 1);
      const r = { size, images: count, noCache, fillDiskCache, diskCache, memoryCache };
      results.push(r);
      opts.onResult?.(
        `${size} px, ${count} images: no cache ${noCache.toFixed(1)}/s, filling the disk cache ${fillDiskCache.toFixed(1)}/s, ` +
          `disk cache ${diskCache.toFixed(1)}/s, memory cache ${memoryCache.toFixed(1)}/s`,
      );
    }
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
  return results;
}
