import { decodeImage, decodeImageAtSize } from '../image';
import { Dataset, RgbImage, Sample } from '../types';

/** The image loaders of a dataset whose samples are files on disk. */
export function fileImageLoaders(): Pick<Dataset, 'loadImage' | 'loadImageAtSize'> {
  const fileOf = (sample: Sample): string => {
    if (!sample.file) throw new Error(`sample ${sample.id} has no file`);
    return sample.file;
  };
  return {
    loadImage: (sample: Sample): Promise<RgbImage> => decodeImage(fileOf(sample)),
    loadImageAtSize: (sample: Sample, size: number): Promise<RgbImage> => decodeImageAtSize(fileOf(sample), size),
  };
}
