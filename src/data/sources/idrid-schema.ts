import * as path from 'path';
import { z } from 'zod';
import { commonShape } from '../common-schema';
import { strictField, remapField } from './fields';

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

export type IdridSourceConfig = z.infer<typeof idridSourceSchema>;

/** data.source: idrid with its paths absolute. */
export function resolveIdridPaths(cfg: IdridSourceConfig, configDir: string): IdridSourceConfig {
  return { ...cfg, root: path.resolve(configDir, cfg.root) };
}
