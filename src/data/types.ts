/** What kind of prediction a dataset asks for. */
export type Task = 'binary' | 'multiclass' | 'multilabel';

export type Split = 'train' | 'val' | 'test';
export const SPLITS: readonly Split[] = ['train', 'val', 'test'];

/** A decoded image: interleaved 8-bit RGB, row-major (HWC). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array; // length width * height * 3
}

/** One labelled image of a dataset. */
export interface Sample {
  /** Stable identifier, unique in the dataset (file path relative to the dataset root, or a generated name). */
  id: string;
  /** Absolute path of the image file; absent for generated images. */
  file?: string;
  /** Class index for binary and multiclass tasks. */
  label?: number;
  /** 0/1 per class for multi-label tasks. */
  labels?: number[];
  /** Patient (or other grouping) id: samples of one group always land in the same split. */
  group?: string;
  /** The split the dataset itself assigns (official challenge splits), if any. */
  split?: Split;
  /** Where the label came from, for messages about this image ("trainLabels.csv row 12"). */
  origin?: string;
}

/** A dataset as a source loads it: labels and where to get each image. */
export interface Dataset {
  /** Name of the source that produced it (for the manifest and messages). */
  source: string;
  task: Task;
  /** Class names in output order. */
  classes: string[];
  samples: Sample[];
  /** Loads one image (decoded, not yet resized). Generated datasets render here. */
  loadImage(sample: Sample): Promise<RgbImage>;
  /**
   * Optional faster path to the image as the pipeline wants it: resized to size x size the way
   * `resizeRgb` does. File sources decode and resize in one sharp call (JPEG shrink-on-load);
   * when absent the pipeline resizes what `loadImage` returns.
   */
  loadImageAtSize?(sample: Sample, size: number): Promise<RgbImage>;
  /** Problems found while loading that did not stop it (missing files, skipped rows), one line each. */
  warnings: string[];
  /** Image files that label files list but that do not exist (left out of `samples`), for the audit. */
  missing?: string[];
}
