import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { DEFAULT_IMAGE_EXTENSIONS } from '../constants';
import { IdridSourceConfig, idridSourceSchema, resolveIdridPaths } from './idrid-schema';
import { defineSource } from './source';
import { Dataset, Sample, Split } from '../types';
import { CsvTable, findColumnIfAny, readCsvTable } from './csv-table';
import { fileImageLoaders } from './file-images';
import { listFiles, listImages, looseName, relativeId, splitFromName, splitFromPath, stemKey } from './files';
import {
  assertNoEmptyClass,
  canonicalValue,
  ClassMapping,
  DR_GRADE_NAMES,
  droppedWarning,
  gradeMapping,
  MissingImage,
  missingImagesWarning,
  singleLabelTask,
} from './labels';

const IMAGE_COLUMN = 'Image name';

/** Classes of the label column: DR grade names for the retinopathy grade, the values found (sorted) otherwise. */
function mappingFor(cfg: IdridSourceConfig, tables: Array<{ table: CsvTable; col: number }>): ClassMapping {
  if (cfg.remap !== null || looseName(cfg.labelColumn) === 'retinopathygrade') return gradeMapping(cfg.remap, DR_GRADE_NAMES);
  const values = [...new Set(tables.flatMap(({ table, col }) => table.rows.map((r) => canonicalValue(r.values[col] ?? ''))))].filter((v) => v !== '');
  values.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  return {
    classes: values,
    classOf: (v) => {
      const k = values.indexOf(canonicalValue(v));
      return k < 0 ? undefined : k;
    },
    accepted: values.join(', '),
  };
}

/**
 * IDRiD disease grading as released: `1. Original Images/a. Training Set/IDRiD_001.jpg`,
 * `b. Testing Set/...` and `2. Groundtruths/a. IDRiD_Disease Grading_Training Labels.csv`,
 * `b. ... Testing Labels.csv` with `Image name` (no extension), `Retinopathy grade` (0-4) and
 * `Risk of macular edema ` (its trailing space and the files' empty trailing columns are tolerated:
 * headers are trimmed and matched loosely). Image names repeat across the two sets, so each label file
 * is matched with the image folder of the same split (from the names: training/testing). The testing
 * set is the test split and the training set is divided into train and val (data.officialSplit).
 */
export async function loadIdridDataset(cfg: IdridSourceConfig): Promise<Dataset> {
  const root = path.resolve(cfg.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new UserError(`data.root: folder not found: ${root}; point it at IDRiD's "B. Disease Grading" folder`);
  }
  const tables: Array<{ table: CsvTable; col: number; imageCol: number; split?: Split }> = [];
  for (const file of listFiles(root, new Set(['.csv']), 4)) {
    const table = readCsvTable(file, 'idrid labels');
    const imageCol = findColumnIfAny(table, IMAGE_COLUMN);
    const col = findColumnIfAny(table, cfg.labelColumn);
    if (imageCol !== undefined && col !== undefined) tables.push({ table, col, imageCol, split: splitFromName(path.basename(file)) });
  }
  if (tables.length === 0) {
    throw new UserError(
      `data.root: no CSV below ${root} has the columns "${IMAGE_COLUMN}" and "${cfg.labelColumn}" (data.labelColumn); expected IDRiD's "2. Groundtruths" grading CSVs`,
    );
  }
  const mapping = mappingFor(cfg, tables);

  const images = listImages(root, { extensions: new Set(DEFAULT_IMAGE_EXTENSIONS) });
  const bySplitStem = new Map<string, string>();
  const byStem = new Map<string, string[]>();
  for (const file of images) {
    bySplitStem.set(`${splitFromPath(root, file) ?? ''}|${stemKey(file)}`, file);
    byStem.set(stemKey(file), [...(byStem.get(stemKey(file)) ?? []), file]);
  }

  const samples: Sample[] = [];
  const missing: MissingImage[] = [];
  const dropped = { count: 0, values: new Set<string>() };
  let total = 0;
  const used = new Set<string>();
  for (const { table, col, imageCol, split } of tables) {
    const base = relativeId(root, table.file);
    for (const { values, line } of table.rows) {
      const name = values[imageCol];
      if (name === '') continue; // IDRiD's sheets end in rows of empty cells
      total++;
      const value = values[col];
      const k = mapping.classOf(value);
      if (k === undefined)
        throw new UserError(`${table.file} row ${line}, column "${table.header[col]}": "${value}" of ${name} is not a class (${mapping.accepted})`);
      if (k === null) {
        dropped.count++;
        dropped.values.add(canonicalValue(value));
        continue;
      }
      let file: string | undefined;
      if (split) file = bySplitStem.get(`${split}|${stemKey(name)}`);
      else {
        const all = byStem.get(stemKey(name)) ?? [];
        if (all.length > 1)
          throw new UserError(
            `${table.file} row ${line}: ${name} matches ${all.length} images (${all.map((f) => relativeId(root, f)).join(', ')}); name the label file after its set (Training/Testing)`,
          );
        file = all[0];
      }
      const origin = `${base} row ${line}`;
      if (!file) {
        missing.push({ name, origin });
        continue;
      }
      if (used.has(file)) throw new UserError(`${table.file} row ${line}: image ${relativeId(root, file)} is labelled twice`);
      used.add(file);
      const sample: Sample = { id: relativeId(root, file), file, label: k, origin };
      if (split && cfg.officialSplit) sample.split = split;
      samples.push(sample);
    }
  }
  const warnings = [
    ...missingImagesWarning(missing, total, 'the IDRiD grading CSVs', cfg.strict),
    ...droppedWarning(dropped.count, total, 'the IDRiD grading CSVs', dropped.values),
  ];
  const dataset = { task: singleLabelTask(mapping.classes), classes: mapping.classes, samples };
  assertNoEmptyClass(dataset, root);
  return { source: 'idrid', ...dataset, ...fileImageLoaders(), warnings, missing: missing.map((m) => `${m.name} (${m.origin})`) };
}

export const idridSource = defineSource({
  name: 'idrid',
  schema: idridSourceSchema,
  resolvePaths: resolveIdridPaths,
  load: (cfg) => loadIdridDataset(cfg),
});
