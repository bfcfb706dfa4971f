import * as path from 'path';
import { z } from 'zod';
import { commonShape } from '../common-schema';
import { strictField } from './fields';

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

export type RefugeSourceConfig = z.infer<typeof refugeSourceSchema>;

/** data.source: refuge with its paths absolute. */
export function resolveRefugePaths(cfg: RefugeSourceConfig, configDir: string): RefugeSourceConfig {
  const root = path.resolve(configDir, cfg.root);
  return { ...cfg, root, ...(cfg.labelFiles && { labelFiles: cfg.labelFiles.map((f) => path.resolve(root, f)) }) };
}
