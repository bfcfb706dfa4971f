import * as path from 'path';
import { z } from 'zod';

/**
 * The `data` section of an experiment config. Every default lives here, so that the resolved
 * config written into the run directory shows every value that shaped the data.
 */

const fraction = z.number().min(0).max(1);

function isRegExp(pattern: string): boolean {
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
  sigmaFraction: z.number().gt(0).max(1).default(1 / 30),
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
const commonShape = {
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
};

/** Images whose listed file is absent: counted and reported in one warning (strict: an error instead). */
const strictField = z.boolean().default(false);

/** Patient id from a file name: the first capture group of this pattern, matched against the name without extension. */
export const LEFT_RIGHT_PATTERN = '^(.+)_(?:left|right)$';
const groupPatternField = z
  .string()
  .min(1)
  .refine((p) => isRegExp(p) && /\((?!\?)/.test(p), { message: 'a regular expression with one capture group, e.g. "^(.+)_(?:left|right)$"' })
  .nullable()
  .default(LEFT_RIGHT_PATTERN);

/** Presets of `remap` for the 0-4 diabetic retinopathy grades. */
export const REMAP_PRESETS = {
  /** The seed's 3 classes: 0 -> No DR; 1, 2 -> Mild; 3, 4 -> Proliferative. */
  'dr-5to3': { '0': 'No DR', '1': 'Mild', '2': 'Mild', '3': 'Proliferative', '4': 'Proliferative' },
  /** Referable DR (moderate or worse). */
  'dr-referable': { '0': 'non-referable', '1': 'non-referable', '2': 'referable', '3': 'referable', '4': 'referable' },
} as const;
export type RemapPreset = keyof typeof REMAP_PRESETS;

/**
 * Label values to class names: a preset name, or {value: class name} where null drops the rows with that
 * value (counted in a warning). Classes come in the order of their first appearance in the mapping.
 */
const remapField = z
  .union([z.enum(Object.keys(REMAP_PRESETS) as [RemapPreset, ...RemapPreset[]]), z.record(z.string(), z.string().min(1).nullable())])
  .nullable()
  .default(null);
export type Remap = z.infer<typeof remapField>;

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
  /**
   * Folder with one sub-folder of images per class, or with training/, validation/ (and test/) folders
   * that each hold the class folders. Relative paths are resolved against the config file's folder.
   */
  root: z.string().min(1),
  /** Class names in output order; default: the sub-folder names sorted. Folders not listed are ignored. */
  classes: z.array(z.string().min(1)).min(2).optional(),
  extensions: z.array(extension).min(1).default(DEFAULT_IMAGE_EXTENSIONS),
  /** With training/validation/test folders: keep that split (false: pool them and split by data.split). */
  officialSplit: z.boolean().default(true),
  /** Patient id from the file name (both eyes `<id>_left`/`<id>_right` stay in one split); null = none. */
  groupPattern: groupPatternField,
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
    /** With classColumn: class names in output order; default: the remap's order, else the values found, sorted (numerically if all numbers). */
    classes: z.array(z.string().min(1)).min(2).optional(),
    /** With classColumn: cell values to class names ({"1": glaucoma, "0": normal, "-1": null}); null drops those rows. */
    remap: remapField,
    /** Column with a patient id: images of one patient always share a split. */
    groupColumn: z.string().min(1).optional(),
    /** Without groupColumn: patient id from the image's file name; null = none. */
    groupPattern: groupPatternField,
    /** Column with an official split (train/training, val/valid/validation, test/testing); rows keep it. */
    splitColumn: z.string().min(1).optional(),
    /** Appended to image names that have no extension (".jpeg" for Kaggle DR's "10_left"). */
    imageExtension: extension.optional(),
    /** Rows whose image cell is empty are skipped and counted (default: an error naming the row). */
    skipRowsWithoutImage: z.boolean().default(false),
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
    if (c.remap !== null && !c.classColumn) {
      ctx.addIssue({ code: 'custom', path: ['remap'], message: 'remap goes with classColumn (it maps that column\'s values to classes)' });
    }
  });

export const refugeSourceSchema = z.strictObject({
  ...commonShape,
  source: z.literal('refuge'),
  /**
   * The REFUGE folder: Training400/{Glaucoma,Non-Glaucoma}/, Validation400/ and Test400/ with their .xlsx
   * ground truth anywhere below (2018), or REFUGE2 folders with glaucoma.csv / task1.xls.
   */
  root: z.string().min(1),
  /** Label files to read (relative to root); default: every .xlsx/.xls/.csv below root that has image names and glaucoma labels. */
  labelFiles: z.array(z.string().min(1)).min(1).optional(),
  /** Keep the challenge's train/val/test (from the folder names); false: split by data.split. */
  officialSplit: z.boolean().default(true),
  strict: strictField,
});

export const kaggleDrSourceSchema = z.strictObject({
  ...commonShape,
  source: z.literal('kaggle-dr'),
  /** The Kaggle DR (EyePACS) folder. Relative paths are resolved against the config file's folder. */
  root: z.string().min(1),
  /** csv: trainLabels.csv + train/<image>.jpeg; folders: the resized-arranged copy, root/0 ... root/4; auto: whichever is there. */
  layout: z.enum(['auto', 'csv', 'folders']).default('auto'),
  /** Label file (image,level), relative to root. */
  labels: z.string().min(1).default('trainLabels.csv'),
  /** Image folder of the csv layout, relative to root. */
  imagesDir: z.string().min(1).default('train'),
  /** Grades to classes: "dr-5to3", "dr-referable" or {grade: class}; null = the five grades. */
  remap: remapField,
  strict: strictField,
});

export const aptosSourceSchema = z.strictObject({
  ...commonShape,
  source: z.literal('aptos'),
  /** The APTOS 2019 folder. Relative paths are resolved against the config file's folder. */
  root: z.string().min(1),
  /** Label file (id_code,diagnosis), relative to root. */
  csv: z.string().min(1).default('train.csv'),
  /** Image folder (<id_code>.png), relative to root. */
  imagesDir: z.string().min(1).default('train_images'),
  remap: remapField,
  strict: strictField,
});

export const idridSourceSchema = z.strictObject({
  ...commonShape,
  source: z.literal('idrid'),
  /**
   * The IDRiD "B. Disease Grading" folder: images under "1. Original Images/a. Training Set" and
   * "b. Testing Set", grading CSVs under "2. Groundtruths". Relative to the config file's folder.
   */
  root: z.string().min(1),
  /** The label column: "Retinopathy grade" (0-4) or "Risk of macular edema" (0-2). */
  labelColumn: z.string().min(1).default('Retinopathy grade'),
  remap: remapField,
  /** Keep the training/testing sets as train/test (validation comes out of training by data.split.val). */
  officialSplit: z.boolean().default(true),
  strict: strictField,
});

/** ODIR-5K's eight diagnostic classes. */
export const ODIR_CLASSES = ['N', 'D', 'G', 'C', 'A', 'H', 'M', 'O'] as const;
export type OdirClass = (typeof ODIR_CLASSES)[number];

export const odirSourceSchema = z.strictObject({
  ...commonShape,
  source: z.literal('odir'),
  /** The ODIR-5K folder. Relative to the config file's folder. */
  root: z.string().min(1),
  /** The annotation sheet (.xlsx or .csv, one row per patient), relative to root; default: the one found below root. */
  labels: z.string().min(1).optional(),
  /** Folder of the fundus images named in Left-Fundus/Right-Fundus, relative to root; default: found below root. */
  imagesDir: z.string().min(1).optional(),
  /** Classes (ODIR letters) in output order; images with none of them are left out and counted. */
  classes: z.array(z.enum(ODIR_CLASSES)).min(2).default([...ODIR_CLASSES]),
  strict: strictField,
});

export const dataConfigSchema = z.discriminatedUnion('source', [
  syntheticSourceSchema,
  imageFolderSourceSchema,
  csvSourceSchema,
  refugeSourceSchema,
  kaggleDrSourceSchema,
  aptosSourceSchema,
  idridSourceSchema,
  odirSourceSchema,
]);

export type DataConfig = z.infer<typeof dataConfigSchema>;
export type DataSourceName = DataConfig['source'];
export type SyntheticSourceConfig = z.infer<typeof syntheticSourceSchema>;
export type ImageFolderSourceConfig = z.infer<typeof imageFolderSourceSchema>;
export type CsvSourceConfig = z.infer<typeof csvSourceSchema>;
export type RefugeSourceConfig = z.infer<typeof refugeSourceSchema>;
export type KaggleDrSourceConfig = z.infer<typeof kaggleDrSourceSchema>;
export type AptosSourceConfig = z.infer<typeof aptosSourceSchema>;
export type IdridSourceConfig = z.infer<typeof idridSourceSchema>;
export type OdirSourceConfig = z.infer<typeof odirSourceSchema>;
export type SplitConfig = z.infer<typeof splitConfigSchema>;
export type AugmentConfig = z.infer<typeof augmentConfigSchema>;
export type RandomResizedCropConfig = z.infer<typeof randomResizedCropSchema>;
export type NormalizeConfig = z.infer<typeof normalizeConfigSchema>;
export type PreprocessConfig = z.infer<typeof preprocessConfigSchema>;
export type FovCropConfig = z.infer<typeof fovCropSchema>;
export type BenGrahamConfig = z.infer<typeof benGrahamSchema>;
export type ClaheConfig = z.infer<typeof claheSchema>;
export type CacheConfig = z.infer<typeof cacheConfigSchema>;

/**
 * Makes every path in the data config absolute, relative paths being taken from the config
 * file's folder (paths inside a dataset folder from its root), and fills in defaults that depend on
 * other paths (a CSV's imagesDir), so that the resolved config names exactly the files used.
 * The disk cache folder is left as written: it belongs to the working directory, not the experiment.
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
    case 'refuge': {
      const root = abs(cfg.root);
      return { ...cfg, root, ...(cfg.labelFiles && { labelFiles: cfg.labelFiles.map((f) => path.resolve(root, f)) }) };
    }
    case 'kaggle-dr': {
      const root = abs(cfg.root);
      return { ...cfg, root, labels: path.resolve(root, cfg.labels), imagesDir: path.resolve(root, cfg.imagesDir) };
    }
    case 'aptos': {
      const root = abs(cfg.root);
      return { ...cfg, root, csv: path.resolve(root, cfg.csv), imagesDir: path.resolve(root, cfg.imagesDir) };
    }
    case 'idrid':
      return { ...cfg, root: abs(cfg.root) };
    case 'odir': {
      const root = abs(cfg.root);
      return {
        ...cfg,
        root,
        ...(cfg.labels !== undefined && { labels: path.resolve(root, cfg.labels) }),
        ...(cfg.imagesDir !== undefined && { imagesDir: path.resolve(root, cfg.imagesDir) }),
      };
    }
  }
}
