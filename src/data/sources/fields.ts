import { z } from 'zod';
import { isRegExp } from '../common-schema';
import { LEFT_RIGHT_PATTERN, REMAP_PRESETS, RemapPreset } from '../constants';

/** Config fields that several sources' schemas share. */

/** Images whose listed file is absent: counted and reported in one warning (strict: an error instead). */
export const strictField = z.boolean().default(false);

/** Patient id from a file name: the first capture group of this pattern, matched against the name without extension. */
export const groupPatternField = z
  .string()
  .min(1)
  .refine((p) => isRegExp(p) && /\((?!\?)/.test(p), { message: 'a regular expression with one capture group, e.g. "^(.+)_(?:left|right)$"' })
  .nullable()
  .default(LEFT_RIGHT_PATTERN);

/**
 * Label values to class names: a preset name, or {value: class name} where null drops the rows with that
 * value (counted in a warning). Classes come in the order of their first appearance in the mapping.
 */
export const remapField = z
  .union([z.enum(Object.keys(REMAP_PRESETS) as [RemapPreset, ...RemapPreset[]]), z.record(z.string(), z.string().min(1).nullable())])
  .nullable()
  .default(null);
export type Remap = z.infer<typeof remapField>;

/** A file extension, written with or without the dot; stored lower-case with it. */
export const extensionField = z
  .string()
  .regex(/^\.?[A-Za-z0-9]+$/, 'an extension such as ".jpg"')
  .transform((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase());
