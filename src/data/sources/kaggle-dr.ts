import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { DEFAULT_IMAGE_EXTENSIONS, KaggleDrSourceConfig, LEFT_RIGHT_PATTERN } from '../config';
import { Dataset, Sample } from '../types';
import { findColumn, readCsvTable } from './csv-table';
import { fileImageLoaders } from './file-images';
import { compileGroupPattern, groupFromName, indexByStem, listImages, relativeId, sortedEntries, stemKey } from './files';
import { assertNoEmptyClass, canonicalValue, DR_GRADE_NAMES, droppedWarning, gradeMapping, MissingImage, missingImagesWarning, singleLabelTask } from './labels';

const EXTENSIONS = new Set(DEFAULT_IMAGE_EXTENSIONS);
const GRADE_FOLDERS = ['0', '1', '2', '3', '4'];

/**
 * Kaggle's Diabetic Retinopathy Detection (EyePACS) as downloaded: `trainLabels.csv` (image,level 0-4)
 * with `train/<image>.jpeg`, or the "resized-arranged" copy with one folder per grade (`0/` ... `4/`).
 * Grades become classes through data.remap (preset dr-5to3: No DR / Mild / Proliferative). Both eyes
 * of a patient (`<id>_left`, `<id>_right`) form one group. Listed images that are absent (a partial
 * download, a sample) are counted in one warning and left out; data.strict makes that an error.
 */
export async function loadKaggleDrDataset(cfg: KaggleDrSourceConfig): Promise<Dataset> {
  const root = path.resolve(cfg.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new UserError(`data.root: folder not found: ${root}; point it at the Kaggle DR folder (trainLabels.csv and train/, or folders 0-4)`);
  }
  const labels = path.resolve(root, cfg.labels);
  const gradeFolders = sortedEntries(root).filter((e) => e.isDirectory() && GRADE_FOLDERS.includes(e.name));
  let layout = cfg.layout;
  if (layout === 'auto') {
    if (fs.existsSync(labels)) layout = 'csv';
    else if (gradeFolders.length > 0) layout = 'folders';
    else {
      throw new UserError(
        `data.root: ${root} has neither ${path.basename(labels)} (set data.labels if it has another name) nor grade folders 0-4; ` +
          'expected trainLabels.csv + train/<image>.jpeg, or the resized-arranged copy with folders 0/ ... 4/',
      );
    }
  }
  const mapping = gradeMapping(cfg.remap, DR_GRADE_NAMES);
  const pattern = compileGroupPattern(LEFT_RIGHT_PATTERN);
  const samples: Sample[] = [];
  const warnings: string[] = [];
  const dropped = { count: 0, values: new Set<string>() };
  let missing: MissingImage[] = [];
  let where: string;

  if (layout === 'csv') {
    const table = readCsvTable(labels, 'data.labels');
    const imageCol = findColumn(table, 'image', 'kaggle-dr labels');
    const levelCol = findColumn(table, 'level', 'kaggle-dr labels');
    const imagesDir = path.resolve(root, cfg.imagesDir);
    if (!fs.existsSync(imagesDir)) throw new UserError(`data.imagesDir: folder not found: ${imagesDir}; the images of ${labels} go there`);
    const { index } = indexByStem(listImages(imagesDir, { extensions: EXTENSIONS }));
    const base = path.basename(labels);
    const seen = new Map<string, number>();
    for (const { values, line } of table.rows) {
      const name = values[imageCol];
      const level = values[levelCol];
      if (name === '') throw new UserError(`${labels} row ${line}: empty "image" cell`);
      const k = mapping.classOf(level);
      if (k === undefined) throw new UserError(`${labels} row ${line}: level "${level}" of ${name} is not ${cfg.remap === null ? 'a DR grade 0-4' : `in data.remap (${mapping.accepted})`}`);
      const earlier = seen.get(stemKey(name));
      if (earlier !== undefined) throw new UserError(`${labels} rows ${earlier} and ${line} both name image "${name}"; keep one row per image`);
      seen.set(stemKey(name), line);
      if (k === null) {
        dropped.count++;
        dropped.values.add(canonicalValue(level));
        continue;
      }
      const file = index.get(stemKey(name));
      if (!file) {
        missing.push({ name, origin: `${base} row ${line}`, file: path.join(imagesDir, `${name}.jpeg`) });
        continue;
      }
      const sample: Sample = { id: relativeId(imagesDir, file), file, label: k, origin: `${base} row ${line}` };
      const group = groupFromName(name, pattern);
      if (group !== undefined) sample.group = group;
      samples.push(sample);
    }
    warnings.push(...missingImagesWarning(missing, table.rows.length, labels, cfg.strict));
    warnings.push(...droppedWarning(dropped.count, table.rows.length, labels, dropped.values));
    where = labels;
  } else {
    if (gradeFolders.length === 0) throw new UserError(`data.root: ${root} has no grade folders 0-4 (data.layout: folders)`);
    for (const folder of gradeFolders) {
      const k = mapping.classOf(folder.name);
      if (k === undefined) throw new UserError(`data.remap: grade folder ${path.join(root, folder.name)} has no class (${mapping.accepted})`);
      const files = listImages(path.join(root, folder.name), { extensions: EXTENSIONS });
      if (k === null) {
        dropped.count += files.length;
        dropped.values.add(folder.name);
        continue;
      }
      for (const file of files) {
        const sample: Sample = { id: relativeId(root, file), file, label: k };
        const group = groupFromName(file, pattern);
        if (group !== undefined) sample.group = group;
        samples.push(sample);
      }
    }
    if (dropped.count > 0) warnings.push(`${dropped.count} images in grade folders ${[...dropped.values].join(', ')} left out: data.remap maps them to null`);
    missing = [];
    where = root;
  }

  const dataset = { task: singleLabelTask(mapping.classes), classes: mapping.classes, samples };
  assertNoEmptyClass(dataset, where);
  return { source: 'kaggle-dr', ...dataset, ...fileImageLoaders(), warnings, missing: missing.map((m) => m.file ?? m.name) };
}
