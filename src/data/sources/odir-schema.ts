import * as path from 'path';
import { z } from 'zod';
import { commonShape } from '../common-schema';
import { ODIR_CLASSES } from '../constants';
import { strictField } from './fields';

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
  classes: z
    .array(z.enum(ODIR_CLASSES))
    .min(2)
    .default([...ODIR_CLASSES]),
  strict: strictField,
});

export type OdirSourceConfig = z.infer<typeof odirSourceSchema>;

/** data.source: odir with its paths absolute. */
export function resolveOdirPaths(cfg: OdirSourceConfig, configDir: string): OdirSourceConfig {
  const root = path.resolve(configDir, cfg.root);
  return {
    ...cfg,
    root,
    ...(cfg.labels !== undefined && { labels: path.resolve(root, cfg.labels) }),
    ...(cfg.imagesDir !== undefined && { imagesDir: path.resolve(root, cfg.imagesDir) }),
  };
}
