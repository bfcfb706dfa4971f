import * as path from 'path';
import { z } from 'zod';
import { commonShape } from '../common-schema';
import { DEFAULT_IMAGE_EXTENSIONS } from '../constants';
import { groupPatternField, extensionField } from './fields';

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
  extensions: z.array(extensionField).min(1).default(DEFAULT_IMAGE_EXTENSIONS),
  /** With training/validation/test folders: keep that split (false: pool them and split by data.split). */
  officialSplit: z.boolean().default(true),
  /** Patient id from the file name (both eyes `<id>_left`/`<id>_right` stay in one split); null = none. */
  groupPattern: groupPatternField,
});

export type ImageFolderSourceConfig = z.infer<typeof imageFolderSourceSchema>;

/** data.source: image-folder with its paths absolute. */
export function resolveImageFolderPaths(cfg: ImageFolderSourceConfig, configDir: string): ImageFolderSourceConfig {
  return { ...cfg, root: path.resolve(configDir, cfg.root) };
}
