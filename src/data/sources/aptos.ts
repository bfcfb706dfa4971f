import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { AptosSourceConfig, DEFAULT_IMAGE_EXTENSIONS } from '../config';
import { Dataset, Sample } from '../types';
import { findColumn, readCsvTable } from './csv-table';
import { fileImageLoaders } from './file-images';
import { indexByStem, listImages, relativeId, stemKey } from './files';
import { assertNoEmptyClass, canonicalValue, DR_GRADE_NAMES, droppedWarning, gradeMapping, MissingImage, missingImagesWarning, singleLabelTask } from './labels';

/**
 * APTOS 2019 Blindness Detection as downloaded: `train.csv` (id_code,diagnosis 0-4) and
 * `train_images/<id_code>.png`. Grades become classes through data.remap. The set names no patients.
 * Absent images are counted in one warning (data.strict: an error).
 */
export async function loadAptosDataset(cfg: AptosSourceConfig): Promise<Dataset> {
  const root = path.resolve(cfg.root);
  const csv = path.resolve(root, cfg.csv);
  const imagesDir = path.resolve(root, cfg.imagesDir);
  const table = readCsvTable(csv, 'data.csv');
  const idCol = findColumn(table, 'id_code', 'aptos labels');
  const gradeCol = findColumn(table, 'diagnosis', 'aptos labels');
  if (!fs.existsSync(imagesDir)) throw new UserError(`data.imagesDir: folder not found: ${imagesDir}; the images of ${csv} (<id_code>.png) go there`);
  const { index } = indexByStem(listImages(imagesDir, { extensions: new Set(DEFAULT_IMAGE_EXTENSIONS) }));
  const mapping = gradeMapping(cfg.remap, DR_GRADE_NAMES);
  const base = path.basename(csv);
  const samples: Sample[] = [];
  const missing: MissingImage[] = [];
  const dropped = { count: 0, values: new Set<string>() };
  const seen = new Map<string, number>();
  for (const { values, line } of table.rows) {
    const id = values[idCol];
    const grade = values[gradeCol];
    if (id === '') throw new UserError(`${csv} row ${line}: empty "id_code" cell`);
    const k = mapping.classOf(grade);
    if (k === undefined) throw new UserError(`${csv} row ${line}: diagnosis "${grade}" of ${id} is not ${cfg.remap === null ? 'a DR grade 0-4' : `in data.remap (${mapping.accepted})`}`);
    const earlier = seen.get(stemKey(id));
    if (earlier !== undefined) throw new UserError(`${csv} rows ${earlier} and ${line} both name image "${id}"; keep one row per image`);
    seen.set(stemKey(id), line);
    if (k === null) {
      dropped.count++;
      dropped.values.add(canonicalValue(grade));
      continue;
    }
    const file = index.get(stemKey(id));
    if (!file) {
      missing.push({ name: id, origin: `${base} row ${line}`, file: path.join(imagesDir, `${id}.png`) });
      continue;
    }
    samples.push({ id: relativeId(imagesDir, file), file, label: k, origin: `${base} row ${line}` });
  }
  const warnings = [...missingImagesWarning(missing, table.rows.length, csv, cfg.strict), ...droppedWarning(dropped.count, table.rows.length, csv, dropped.values)];
  const dataset = { task: singleLabelTask(mapping.classes), classes: mapping.classes, samples };
  assertNoEmptyClass(dataset, csv);
  return { source: 'aptos', ...dataset, ...fileImageLoaders(), warnings, missing: missing.map((m) => m.file!) };
}
