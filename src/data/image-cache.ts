import { Dataset, RgbImage } from './types';

/** Default memory for resized images: 1 GiB holds about 7,000 images at 224 px or 87,000 at 64 px. */
export const DEFAULT_CACHE_BYTES = 1024 ** 3;

/**
 * Resized, un-augmented images of one dataset kept in memory so that later epochs decode nothing.
 * It admits images until its byte budget is spent and then keeps what it has: an epoch visits every
 * image once in shuffled order, so a least-recently-used cache smaller than the dataset would evict
 * each image just before its next use and never hit; keeping a fixed part hits on that part every epoch.
 */
export class ImageCache {
  private readonly images = new Map<string, RgbImage>();
  private usedBytes = 0;
  private dataset: Dataset | undefined;

  constructor(readonly maxBytes: number = DEFAULT_CACHE_BYTES) {}

  /** Binds the cache to a dataset: keys are sample indices, which mean nothing in another dataset. */
  bind(dataset: Dataset): void {
    if (this.dataset && this.dataset !== dataset) throw new Error('an ImageCache serves one dataset; create another for a second dataset');
    this.dataset = dataset;
  }

  get(sampleIndex: number, size: number): RgbImage | undefined {
    return this.images.get(`${sampleIndex}@${size}`);
  }

  /** Stores an image if the budget allows; returns whether it did. */
  set(sampleIndex: number, size: number, img: RgbImage): boolean {
    const key = `${sampleIndex}@${size}`;
    if (this.images.has(key)) return true;
    if (this.usedBytes + img.data.byteLength > this.maxBytes) return false;
    this.images.set(key, img);
    this.usedBytes += img.data.byteLength;
    return true;
  }

  get bytes(): number {
    return this.usedBytes;
  }

  get count(): number {
    return this.images.size;
  }
}
