import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { DEFAULT_IMAGE_EXTENSIONS, LEFT_RIGHT_PATTERN } from '../constants';
import { Dataset, Sample } from '../types';
import { readCsvTable } from './csv-table';
import { fileImageLoaders } from './file-images';
import { compileGroupPattern, groupFromName, listImages, relativeId, sortedEntries } from './files';
import { readGradedRows } from './graded-rows';
import { KaggleDrSourceConfig, kaggleDrSourceSchema, resolveKaggleDrPaths } from './kaggle-dr-schema';
import { assertNoEmptyClass, DR_GRADE_NAMES, gradeMapping, MissingImage, singleLabelTask } from './labels';
import { defineSource } from './source';

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
    const rows = readGradedRows({
      file: labels,
      table: readCsvTable(labels, 'data.labels'),
      nameColumn: 'image',
      gradeColumn: 'level',
      what: 'kaggle-dr labels',
      mapping,
      remapped: cfg.remap !== null,
      imagesDir: path.resolve(root, cfg.imagesDir),
      extensions: EXTENSIONS,
      expectedExtension: '.jpeg',
      groupPattern: pattern,
      strict: cfg.strict,
    });
    samples.push(...rows.samples);
    warnings.push(...rows.warnings);
    missing = rows.missing;
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
    if (dropped.count > 0)
      warnings.push(`${dropped.count} images in grade folders ${[...dropped.values].join(', ')} left out: data.remap maps them to null`);
    missing = [];
    where = root;
  }

  const dataset = { task: singleLabelTask(mapping.classes), classes: mapping.classes, samples };
  assertNoEmptyClass(dataset, where);
  return { source: 'kaggle-dr', ...dataset, ...fileImageLoaders(), warnings, missing: missing.map((m) => m.file ?? m.name) };
}

export const kaggleDrSource = defineSource({
  name: 'kaggle-dr',
  schema: kaggleDrSourceSchema,
  resolvePaths: resolveKaggleDrPaths,
  load: (cfg) => loadKaggleDrDataset(cfg),
});
