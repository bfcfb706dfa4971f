import * as path from 'path';
import { z } from 'zod';

/**
 * The `data` section of an experiment config. Every default lives here, so that the resolved
 * config written into the run directory shows every value that shaped the data.
 */

const fraction = z.number().min(0).max(1);

export const splitConfigSchema = z
  .strictObject({
    /** Fraction of the samples (not groups) for validation. */
    val: fraction.default(0.15),
    /** Fraction of the samples for the test split. */
    test: fraction.default(0.15),
    /** Keep each class's (or label combination's) proportion the same in every split. */
    stratify: z.boolean().default(true),
  })
  .refine((s) => s.val + s.test < 1, { message: 'val + test must be below 1 so that training keeps some samples' });

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
});

const triple = z.tuple([z.number(), z.number(), z.number()]);

export const normalizeConfigSchema = z.strictObject({
  /** Per-channel mean of [0, 1] RGB values (ImageNet's by default). */
  mean: triple.default([0.485, 0.456, 0.406]),
  /** Per-channel standard deviation (ImageNet's by default). */
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([0.229, 0.224, 0.225]),
});

/** Fields every source shares. */
const commonShape = {
  split: splitConfigSchema.prefault({}),
  augment: augmentConfigSchema.prefault({}),
  normalize: normalizeConfigSchema.prefault({}),
  /** Batches decoded ahead of the training step. */
  prefetch: z.int().min(0).default(2),
  /** Skip (and count) images that cannot be read instead of stopping with an error. */
  skipBadImages: z.boolean().default(false),
};

export const SYNTHETIC_TASKS = ['glaucoma', 'dr', 'multilabel'] as const;
export type SyntheticTask = (typeof SYNTHETIC_TASKS)[number];

export const syntheticSourceSchema = z.strictObject({
  ...commonShape,
  source: z.literal('synthetic'),
  /** Which labels the rendered images carry: cup-to-disc ratio, DR lesions, or four independent flags. */
  task: z.enum(SYNTHETIC_TASKS),
  /** Number of images (pairs of consecutive images are the two eyes of one patient). */
  count: z.int().min(2).default(600),
  /** Side of the rendered square image in pixels (the pipeline resizes to the model's size). */
  renderSize: z.int().min(32).max(2048).default(128),
});

/** Image file extensions the folder sources pick up (case-insensitive); sharp decodes all of these. */
export const DEFAULT_IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'];

const extension = z
  .string()
  .regex(/^\.?[A-Za-z0-9]+$/, 'an extension such as ".jpg"')
  .transform((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase());

export const imageFolderSourceSchema = z.strictObject({
  ...commonShape,
  source: z.literal('image-folder'),
  /** Folder with one sub-folder of images per class. Relative paths are resolved against the config file's folder. */
  root: z.string().min(1),
  /** Class names in output order; default: the sub-folder names sorted. Folders not listed are ignored. */
  classes: z.array(z.string().min(1)).min(2).optional(),
  extensions: z.array(extension).min(1).default(DEFAULT_IMAGE_EXTENSIONS),
});

export const csvSourceSchema = z
  .strictObject({
    ...commonShape,
    source: z.literal('csv'),
    /** The label file. Relative paths are resolved against the config file's folder. */
    csv: z.string().min(1),
    /** Folder the image column is relative to; default: the CSV's folder (filled in by resolveDataPaths). */
    imagesDir: z.string().min(1).optional(),
    imageColumn: z.string().min(1).default('Image_File'),
    /** Multi-label: one 0/1 column per class, in output order. */
    labelColumns: z.array(z.string().min(1)).min(1).optional(),
    /** Binary/multiclass: one column holding each image's class. */
    classColumn: z.string().min(1).optional(),
    /** With classColumn: class names in output order; default: the values found, sorted (numerically if all numbers). */
    classes: z.array(z.string().min(1)).min(2).optional(),
    /** Column with a patient id: images of one patient always share a split. */
    groupColumn: z.string().min(1).optional(),
    /** Appended to image names that have no extension (".jpeg" for Kaggle DR's "10_left"). */
    imageExtension: extension.optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.labelColumns === !c.classColumn) {
      ctx.addIssue({
        code: 'custom',
        path: ['labelColumns'],
        message: 'give exactly one of labelColumns (multi-label 0/1 columns) or classColumn (one class column)',
      });
    }
    if (c.classes && !c.classColumn) {
      ctx.addIssue({ code: 'custom', path: ['classes'], message: 'classes goes with classColumn; labelColumns already names the classes' });
    }
  });

export const dataConfigSchema = z.discriminatedUnion('source', [syntheticSourceSchema, imageFolderSourceSchema, csvSourceSchema]);

export type DataConfig = z.infer<typeof dataConfigSchema>;
export type DataSourceName = DataConfig['source'];
export type SyntheticSourceConfig = z.infer<typeof syntheticSourceSchema>;
export type ImageFolderSourceConfig = z.infer<typeof imageFolderSourceSchema>;
export type CsvSourceConfig = z.infer<typeof csvSourceSchema>;
export type SplitConfig = z.infer<typeof splitConfigSchema>;
export type AugmentConfig = z.infer<typeof augmentConfigSchema>;
export type RandomResizedCropConfig = z.infer<typeof randomResizedCropSchema>;
export type NormalizeConfig = z.infer<typeof normalizeConfigSchema>;

/**
 * Makes every path in the data config absolute, relative paths being taken from the config
 * file's folder, and fills in defaults that depend on other paths (a CSV's imagesDir), so that the
 * resolved config names exactly the files used.
 */
export function resolveDataPaths(cfg: DataConfig, configDir: string): DataConfig {
  const abs = (p: string): string => path.resolve(configDir, p);
  switch (cfg.source) {
    case 'synthetic':
      return { ...cfg };
    case 'image-folder':
      return { ...cfg, root: abs(cfg.root) };
    case 'csv': {
      const csv = abs(cfg.csv);
      return { ...cfg, csv, imagesDir: cfg.imagesDir !== undefined ? abs(cfg.imagesDir) : path.dirname(csv) };
    }
  }
}
