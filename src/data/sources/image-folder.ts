import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { ImageFolderSourceConfig } from '../config';
import { Dataset, Sample } from '../types';
import { fileImageLoaders } from './file-images';

/** Names in a folder in a fixed order (code-unit order, not locale order, so every machine agrees). */
function sortedEntries(dir: string): fs.Dirent[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Image files under `dir` (recursively), in a fixed order; counts the other files it passes. */
function listImages(dir: string, extensions: ReadonlySet<string>, skipped: { count: number }): string[] {
  const out: string[] = [];
  for (const e of sortedEntries(dir)) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listImages(full, extensions, skipped));
    else if (extensions.has(path.extname(e.name).toLowerCase())) out.push(full);
    else skipped.count++;
  }
  return out;
}

/**
 * One sub-folder of images per class (`root/<class>/**\/*.jpg`), as torchvision's ImageFolder and the
 * seed's selfie model lay them out. Two classes make a binary task, more a multiclass one.
 */
export async function loadImageFolderDataset(cfg: ImageFolderSourceConfig): Promise<Dataset> {
  const root = path.resolve(cfg.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new UserError(`data.root: folder not found: ${root}; point it at a folder with one sub-folder of images per class`);
  }
  const folders = sortedEntries(root)
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  if (folders.length === 0) {
    throw new UserError(`data.root: ${root} has no class folders; put each class's images in ${path.join(root, '<class name>')}/`);
  }
  const warnings: string[] = [];
  let classes: string[];
  if (cfg.classes) {
    for (const c of cfg.classes) {
      if (!folders.includes(c)) {
        throw new UserError(`data.classes: no folder ${path.join(root, c)} for class "${c}"; the class folders are: ${folders.join(', ')}`);
      }
    }
    const ignored = folders.filter((f) => !cfg.classes!.includes(f));
    if (ignored.length > 0) warnings.push(`ignored folders not listed in data.classes: ${ignored.join(', ')}`);
    classes = [...cfg.classes];
  } else {
    classes = folders;
  }
  if (classes.length < 2) {
    throw new UserError(`data.root: ${root} has only one class folder (${classes[0]}); a classifier needs at least two`);
  }

  const extensions = new Set(cfg.extensions);
  const samples: Sample[] = [];
  const skipped = { count: 0 };
  classes.forEach((name, label) => {
    const dir = path.join(root, name);
    const files = listImages(dir, extensions, skipped);
    if (files.length === 0) {
      throw new UserError(`class folder ${dir} has no images (${cfg.extensions.join(' ')}); add images or remove the folder`);
    }
    for (const file of files) samples.push({ id: path.relative(root, file).split(path.sep).join('/'), file, label });
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
