import * as path from 'path';
import { z } from 'zod';
import { commonShape } from '../common-schema';
import { strictField, remapField } from './fields';

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

export type KaggleDrSourceConfig = z.infer<typeof kaggleDrSourceSchema>;

/** data.source: kaggle-dr with its paths absolute. */
export function resolveKaggleDrPaths(cfg: KaggleDrSourceConfig, configDir: string): KaggleDrSourceConfig {
  const root = path.resolve(configDir, cfg.root);
  return { ...cfg, root, labels: path.resolve(root, cfg.labels), imagesDir: path.resolve(root, cfg.imagesDir) };
}
