import { z } from 'zod';
import { randAugmentSchema, randomErasingSchema } from './augment/schema';
import { mixupConfigSchema } from './mixup';
import { samplerConfigSchema } from './sampler';

/**
 * The parts of the `data` section that every source shares: split, preprocessing, augmentation,
 * normalisation, caching. Every default lives here, so the resolved config shows every value that shaped the data.
 */

export const fraction = z.number().min(0).max(1);

export function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * An optional processing step: `true` switches it on with its defaults, `false` or null off, an object
 * sets its options. The resolved config always shows the full object (or null).
 */
function toggle<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (v === true ? {} : v === false ? null : v), schema.nullable()).default(null);
}

export const splitConfigSchema = z
  .strictObject({
    /** Fraction of the samples (not groups) for validation; ignored with folds (validation is one fold). */
    val: fraction.default(0.15),
    /** Fraction of the samples for the test split (held out before folds are drawn). */
    test: fraction.default(0.15),
    /** Keep each class's (or label combination's) proportion the same in every split. */
    stratify: z.boolean().default(true),
    /** k-fold cross-validation: the non-test samples fall into this many grouped, stratified folds; null = off. */
    folds: z.int().min(2).max(100).nullable().default(null),
    /** With folds: the fold (0 .. folds-1) that is this run's validation split; the others train (`--fold k`). */
    fold: z.int().min(0).default(0),
    /**
     * Regular expression on sample ids: matching samples (saved augmentations, synthetic copies) only ever
     * train, never validate or test; null = none.
     */
    trainOnly: z
      .string()
      .min(1)
      .refine((p) => isRegExp(p), { message: 'not a valid regular expression' })
      .nullable()
      .default(null),
  })
  .refine((s) => s.val + s.test < 1, { message: 'val + test must be below 1 so that training keeps some samples' })
  .refine((s) => s.folds === null || s.fold < s.folds, { message: 'fold must be below folds (folds are numbered from 0)', path: ['fold'] })
  .refine((s) => s.folds !== null || s.fold === 0, { message: 'fold needs folds (k-fold cross-validation)', path: ['fold'] });

export const randomResizedCropSchema = z
  .strictObject({
    /** Range of the crop's area as a fraction of the image's area. */
    scale: z.tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)]).default([0.7, 1]),
    /** Range of the crop's aspect ratio (width / height), sampled log-uniformly. */
    ratio: z.tuple([z.number().positive(), z.number().positive()]).default([3 / 4, 4 / 3]),
  })
  .refine((c) => c.scale[0] <= c.scale[1] && c.ratio[0] <= c.ratio[1], {
    message: 'scale and ratio must be [min, max] with min <= max',
  });

export const augmentConfigSchema = z.strictObject({
  /** Probability of a horizontal flip. */
  hflip: fraction.default(0),
  /** Probability of a vertical flip. */
  vflip: fraction.default(0),
  /** Rotation by a uniform angle in [-rotate, rotate] degrees, bilinear, black fill. */
  rotate: z.number().min(0).max(180).default(0),
  /** Brightness factor uniform in [max(0, 1 - b), 1 + b]. */
  brightness: z.number().min(0).default(0),
  /** Contrast factor uniform in [max(0, 1 - c), 1 + c] (blend with the image's mean grey). */
  contrast: z.number().min(0).default(0),
  /** Saturation factor uniform in [max(0, 1 - s), 1 + s] (blend with each pixel's grey). */
  saturation: z.number().min(0).default(0),
  /** Random resized crop (taken from the resized image, then scaled back to the model's size); null = off. */
  randomResizedCrop: randomResizedCropSchema.nullable().default(null),
  /** timm's RandAugment string, e.g. 'rand-m9-mstd0.5-inc1' (RETFound), applied before the transforms above; null = off. */
  randAugment: randAugmentSchema,
  /** timm's RandomErasing on the normalised image, e.g. { prob: 0.25, mode: pixel }; null = off. */
  randomErasing: randomErasingSchema,
});

const triple = z.tuple([z.number(), z.number(), z.number()]);

export const normalizeConfigSchema = z.strictObject({
  /** Per-channel mean of [0, 1] RGB values (ImageNet's by default). */
  mean: triple.default([0.485, 0.456, 0.406]),
  /** Per-channel standard deviation (ImageNet's by default). */
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([0.229, 0.224, 0.225]),
});

/** Field-of-view crop: the circular fundus found by thresholding a grey version; the black border goes. */
export const fovCropSchema = z.strictObject({
  /** Grey level (0-255, luma) a pixel must exceed to count as fundus; JPEG noise in black borders stays below ~7. */
  tolerance: z.int().min(0).max(254).default(7),
});

/** Ben Graham's local average subtraction (Kaggle DR 2015): 4·img − 4·GaussianBlur(img) + 128. */
export const benGrahamSchema = z.strictObject({
  /**
   * Radius in pixels the fundus is scaled to before the filter (the image is 2·radius square, then
   * resized to the model's size); null: half the model's input size, i.e. the filter works at the size
   * the model sees (same result up to resampling, several times cheaper than Kaggle's 300).
   */
  radius: z.int().min(16).max(2048).nullable().default(null),
  /** Gaussian sigma as a fraction of the radius (radius/30). */
  sigmaFraction: z
    .number()
    .gt(0)
    .max(1)
    .default(1 / 30),
  /** Outside this fraction of the radius the image becomes grey 128 (hides the filter's bright rim). */
  maskFraction: z.number().gt(0).max(1).default(0.9),
});

/** Contrast-limited adaptive histogram equalisation of the green channel (tile grid with bilinear blending). */
export const claheSchema = z.strictObject({
  /** Histogram clip limit relative to a flat histogram (2.0 as OpenCV's clipLimit). */
  clipLimit: z.number().positive().default(2),
  /** Tiles per side (8 = an 8x8 grid). */
  tiles: z.int().min(1).max(64).default(8),
  /** 'green': the equalised green channel in all three channels (a grey image); 'rgb': the colour image with its green channel equalised. */
  output: z.enum(['green', 'rgb']).default('green'),
});

/**
 * Fundus preprocessing before the model's resize and normalisation, in this order: field-of-view crop
 * (and padding to a square), CLAHE, Ben Graham. Each step: true (defaults), false/null (off) or options.
 */
export const preprocessConfigSchema = z
  .strictObject({
    fovCrop: toggle(fovCropSchema),
    benGraham: toggle(benGrahamSchema),
    clahe: toggle(claheSchema),
  })
  .refine((p) => p.benGraham === null || p.fovCrop !== null, {
    message: 'benGraham needs fovCrop: it scales the fundus that the field-of-view crop finds to a fixed radius',
    path: ['benGraham'],
  });

/** Preprocessed images on disk, so that later epochs and later runs decode nothing. */
export const cacheConfigSchema = z.strictObject({
  /** Keep preprocessed, resized images of image files on disk (generated images are not cached). */
  disk: z.boolean().default(true),
  /** Cache folder; a relative path is taken from the working directory. */
  dir: z.string().min(1).default('.cache/fundus-train'),
});

/** Fields every source shares. */
export const commonShape = {
  split: splitConfigSchema.prefault({}),
  preprocess: preprocessConfigSchema.prefault({}),
  augment: augmentConfigSchema.prefault({}),
  normalize: normalizeConfigSchema.prefault({}),
  /** Batches decoded ahead of the training step. */
  prefetch: z.int().min(0).default(2),
  /** Skip (and count) images that cannot be read instead of stopping with an error. */
  skipBadImages: z.boolean().default(false),
  /** Images narrower or lower than this many pixels are bad input (a 1x1 file is no fundus photograph). */
  minImageSize: z.int().min(1).default(32),
  /** Images of more pixels are refused from their header, before decoding (no fundus camera makes 50 megapixels). */
  maxImagePixels: z.int().min(1).default(50_000_000),
  /** Binary tasks: the class that counts as positive (sensitivity, the patient rule); null = the README's rule. */
  positiveClass: z.string().min(1).nullable().default(null),
  cache: cacheConfigSchema.prefault({}),
  /** balanced: each class drawn equally often, with replacement (torch's WeightedRandomSampler); null = every image once. */
  sampler: samplerConfigSchema,
  /** timm's Mixup/CutMix on training batches (soft targets); null = off. */
  mixup: mixupConfigSchema.nullable().default(null),
};

export type SplitConfig = z.infer<typeof splitConfigSchema>;
export type AugmentConfig = z.infer<typeof augmentConfigSchema>;
export type RandomResizedCropConfig = z.infer<typeof randomResizedCropSchema>;
export type NormalizeConfig = z.infer<typeof normalizeConfigSchema>;
export type PreprocessConfig = z.infer<typeof preprocessConfigSchema>;
export type FovCropConfig = z.infer<typeof fovCropSchema>;
export type BenGrahamConfig = z.infer<typeof benGrahamSchema>;
export type ClaheConfig = z.infer<typeof claheSchema>;
export type CacheConfig = z.infer<typeof cacheConfigSchema>;
