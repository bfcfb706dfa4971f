import * as path from 'path';
import { z } from 'zod';
import { commonShape } from '../common-schema';
import { strictField, remapField } from './fields';

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

export type AptosSourceConfig = z.infer<typeof aptosSourceSchema>;

/** data.source: aptos with its paths absolute. */
export function resolveAptosPaths(cfg: AptosSourceConfig, configDir: string): AptosSourceConfig {
  const root = path.resolve(configDir, cfg.root);
  return { ...cfg, root, csv: path.resolve(root, cfg.csv), imagesDir: path.resolve(root, cfg.imagesDir) };
}
