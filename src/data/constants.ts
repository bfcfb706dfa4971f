/** Fundus-domain constants the sources and their schemas share. */

/** Patient id from a file name: the first capture group of this pattern, matched against the name without extension. */
export const LEFT_RIGHT_PATTERN = '^(.+)_(?:left|right)$';

/** Presets of `remap` for the 0-4 diabetic retinopathy grades. */
export const REMAP_PRESETS = {
  /** The reference Kaggle DR project's 3 classes: 0 -> No DR; 1, 2 -> Mild; 3, 4 -> Proliferative. */
  'dr-5to3': { '0': 'No DR', '1': 'Mild', '2': 'Mild', '3': 'Proliferative', '4': 'Proliferative' },
  /** Referable DR (moderate or worse). */
  'dr-referable': { '0': 'non-referable', '1': 'non-referable', '2': 'referable', '3': 'referable', '4': 'referable' },
} as const;
export type RemapPreset = keyof typeof REMAP_PRESETS;

/** Image file extensions the folder sources pick up (case-insensitive); sharp decodes all of these. */
export const DEFAULT_IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'];

/** The label sets the synthetic source renders. */
export const SYNTHETIC_TASKS = ['glaucoma', 'dr', 'multilabel'] as const;
export type SyntheticTask = (typeof SYNTHETIC_TASKS)[number];

/** ODIR-5K's eight diagnostic classes. */
export const ODIR_CLASSES = ['N', 'D', 'G', 'C', 'A', 'H', 'M', 'O'] as const;
export type OdirClass = (typeof ODIR_CLASSES)[number];
