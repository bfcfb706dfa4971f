import * as path from 'path';
import { z } from 'zod';
import { commonShape } from '../common-schema';
import { groupPatternField, remapField, extensionField } from './fields';

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
    imageExtension: extensionField.optional(),
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
      ctx.addIssue({ code: 'custom', path: ['remap'], message: "remap goes with classColumn (it maps that column's values to classes)" });
    }
  });

export type CsvSourceConfig = z.infer<typeof csvSourceSchema>;

/** data.source: csv with its paths absolute. */
export function resolveCsvPaths(cfg: CsvSourceConfig, configDir: string): CsvSourceConfig {
  const csv = path.resolve(configDir, cfg.csv);
  // The image column is relative to the CSV's folder unless data.imagesDir says otherwise.
  return { ...cfg, csv, imagesDir: cfg.imagesDir !== undefined ? path.resolve(configDir, cfg.imagesDir) : path.dirname(csv) };
}
