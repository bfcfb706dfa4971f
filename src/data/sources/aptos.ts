import * as path from 'path';
import { DEFAULT_IMAGE_EXTENSIONS } from '../constants';
import { Dataset } from '../types';
import { AptosSourceConfig, aptosSourceSchema, resolveAptosPaths } from './aptos-schema';
import { readCsvTable } from './csv-table';
import { fileImageLoaders } from './file-images';
import { readGradedRows } from './graded-rows';
import { assertNoEmptyClass, DR_GRADE_NAMES, gradeMapping, singleLabelTask } from './labels';
import { defineSource } from './source';

/**
 * APTOS 2019 Blindness Detection as downloaded: `train.csv` (id_code,diagnosis 0-4) and
 * `train_images/<id_code>.png`. Grades become classes through data.remap. The set names no patients.
 * Absent images are counted in one warning (data.strict: an error).
 */
export async function loadAptosDataset(cfg: AptosSourceConfig): Promise<Dataset> {
  const root = path.resolve(cfg.root);
  const csv = path.resolve(root, cfg.csv);
  const mapping = gradeMapping(cfg.remap, DR_GRADE_NAMES);
  const { samples, missing, warnings } = readGradedRows({
    file: csv,
    table: readCsvTable(csv, 'data.csv'),
    nameColumn: 'id_code',
    gradeColumn: 'diagnosis',
    what: 'aptos labels',
    mapping,
    remapped: cfg.remap !== null,
    imagesDir: path.resolve(root, cfg.imagesDir),
    imageHint: '<id_code>.png',
    extensions: new Set(DEFAULT_IMAGE_EXTENSIONS),
    expectedExtension: '.png',
    groupPattern: null,
    strict: cfg.strict,
  });
  const dataset = { task: singleLabelTask(mapping.classes), classes: mapping.classes, samples };
  assertNoEmptyClass(dataset, csv);
  return { source: 'aptos', ...dataset, ...fileImageLoaders(), warnings, missing: missing.map((m) => m.file!) };
}

export const aptosSource = defineSource({
  name: 'aptos',
  schema: aptosSourceSchema,
  resolvePaths: resolveAptosPaths,
  load: (cfg) => loadAptosDataset(cfg),
});
