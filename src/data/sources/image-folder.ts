import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { ImageFolderSourceConfig, imageFolderSourceSchema, resolveImageFolderPaths } from './image-folder-schema';
import { defineSource } from './source';
import { Dataset, Sample, Split } from '../types';
import { fileImageLoaders } from './file-images';
import { compileGroupPattern, groupFromName, listImages, looseName, relativeId, sortedEntries } from './files';

/** Folder names that hold a split rather than a class (compared as looseName). */
const SPLIT_FOLDERS: Record<string, Split> = {
  train: 'train',
  training: 'train',
  val: 'val',
  valid: 'val',
  validation: 'val',
  test: 'test',
  testing: 'test',
};

function subfolders(dir: string): string[] {
  return sortedEntries(dir)
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
}

/**
 * One sub-folder of images per class (`root/<class>/**\/*.jpg`), as torchvision's ImageFolder lays them
 * out, or split folders first (`root/training/<class>/`, `root/validation/<class>/`, `root/test/<class>/`,
 * as the seed's selfie model): then each image keeps its split unless data.officialSplit is false.
 * Patients come from the file names (`<id>_left.jpg`, `<id>_right.jpg`: data.groupPattern), across all
 * class folders. Two classes make a binary task, more a multiclass one.
 */
export async function loadImageFolderDataset(cfg: ImageFolderSourceConfig): Promise<Dataset> {
  const root = path.resolve(cfg.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new UserError(`data.root: folder not found: ${root}; point it at a folder with one sub-folder of images per class`);
  }
  const top = subfolders(root);
  if (top.length === 0) {
    throw new UserError(`data.root: ${root} has no class folders; put each class's images in ${path.join(root, '<class name>')}/`);
  }
  // Split folders when every top folder names a split.
  const splitMode = top.every((f) => SPLIT_FOLDERS[looseName(f)] !== undefined);
  const parents: Array<{ dir: string; split?: Split }> = splitMode
    ? top.map((f) => ({ dir: path.join(root, f), split: SPLIT_FOLDERS[looseName(f)] }))
    : [{ dir: root }];
  const folders = [...new Set(parents.flatMap((p) => subfolders(p.dir)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const inside = splitMode ? ` inside ${top.join(', ')}` : '';
  if (folders.length === 0) {
    throw new UserError(
      `data.root: ${root} has split folders (${top.join(', ')}) but no class folders in them; put images in ${path.join(root, top[0], '<class name>')}/`,
    );
  }

  const warnings: string[] = [];
  let classes: string[];
  if (cfg.classes) {
    for (const c of cfg.classes) {
      if (!folders.includes(c)) {
        throw new UserError(
          `data.classes: no folder ${path.join(splitMode ? path.join(root, '<split>') : root, c)} for class "${c}"; the class folders${inside} are: ${folders.join(', ')}`,
        );
      }
    }
    const ignored = folders.filter((f) => !cfg.classes!.includes(f));
    if (ignored.length > 0) warnings.push(`ignored folders not listed in data.classes: ${ignored.join(', ')}`);
    classes = [...cfg.classes];
  } else {
    classes = folders;
  }
  if (classes.length < 2) {
    throw new UserError(`data.root: ${root} has only one class folder (${classes[0]})${inside}; a classifier needs at least two`);
  }

  const extensions = new Set(cfg.extensions);
  const groupPattern = compileGroupPattern(cfg.groupPattern);
  const samples: Sample[] = [];
  const skipped = { count: 0 };
  classes.forEach((name, label) => {
    let found = 0;
    for (const parent of parents) {
      const dir = path.join(parent.dir, name);
      if (!fs.existsSync(dir)) continue;
      for (const file of listImages(dir, { extensions, skipped })) {
        const sample: Sample = { id: relativeId(root, file), file, label };
        const group = groupFromName(file, groupPattern);
        if (group !== undefined) sample.group = group;
        if (parent.split && cfg.officialSplit) sample.split = parent.split;
        samples.push(sample);
        found++;
      }
    }
    if (found === 0) {
      const where = splitMode ? parents.map((p) => path.join(p.dir, name)).join(', ') : path.join(root, name);
      throw new UserError(`class folder ${where} has no images (${cfg.extensions.join(' ')}); add images or remove the folder`);
    }
  });
  if (skipped.count > 0) warnings.push(`ignored ${skipped.count} files under ${root} without an image extension (${cfg.extensions.join(' ')})`);

  return {
    source: 'image-folder',
    task: classes.length === 2 ? 'binary' : 'multiclass',
    classes,
    samples,
    ...fileImageLoaders(),
    warnings,
  };
}

export const imageFolderSource = defineSource({
  name: 'image-folder',
  schema: imageFolderSourceSchema,
  resolvePaths: resolveImageFolderPaths,
  load: (cfg) => loadImageFolderDataset(cfg),
});
