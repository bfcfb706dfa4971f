import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { Sample } from '../types';
import { CsvTable, findColumn } from './csv-table';
import { groupFromName, indexByStem, listImages, relativeId, stemKey } from './files';
import { canonicalValue, ClassMapping, droppedWarning, MissingImage, missingImagesWarning } from './labels';

export interface GradedRowsOptions {
  /** The label file and its table. */
  file: string;
  table: CsvTable;
  /** Header of the image-name column ("id_code", "image") and of the grade column ("diagnosis", "level"). */
  nameColumn: string;
  gradeColumn: string;
  /** Source name for the column-not-found message ("aptos labels"). */
  what: string;
  /** Grades to classes (data.remap), and whether a remap was given (for the message on an unknown grade). */
  mapping: ClassMapping;
  remapped: boolean;
  imagesDir: string;
  /** How the images are named, for the folder-not-found message ("<id_code>.png"). */
  imageHint?: string;
  extensions: ReadonlySet<string>;
  /** Extension of the path reported for an absent image (".png" for APTOS). */
  expectedExtension: string;
  /** Patient id from the image name; null = the set names no patients. */
  groupPattern: RegExp | null;
  strict: boolean;
}

export interface GradedRows {
  samples: Sample[];
  missing: MissingImage[];
  warnings: string[];
}

/**
 * The rows of a graded label file (one image name and one DR grade per row, as APTOS's train.csv and
 * Kaggle DR's trainLabels.csv): each row becomes a sample of its image, rows a remap drops and listed
 * images that are absent are counted in warnings (data.strict: an error), a repeated image is an error.
 */
export function readGradedRows(o: GradedRowsOptions): GradedRows {
  const nameCol = findColumn(o.table, o.nameColumn, o.what);
  const gradeCol = findColumn(o.table, o.gradeColumn, o.what);
  if (!fs.existsSync(o.imagesDir)) {
    const hint = o.imageHint ? ` (${o.imageHint})` : '';
    throw new UserError(`data.imagesDir: folder not found: ${o.imagesDir}; the images of ${o.file}${hint} go there`);
  }
  const { index } = indexByStem(listImages(o.imagesDir, { extensions: o.extensions }));
  const base = path.basename(o.file);
  const samples: Sample[] = [];
  const missing: MissingImage[] = [];
  const dropped = { count: 0, values: new Set<string>() };
  const seen = new Map<string, number>();
  for (const { values, line } of o.table.rows) {
    const name = values[nameCol];
    const grade = values[gradeCol];
    if (name === '') throw new UserError(`${o.file} row ${line}: empty "${o.nameColumn}" cell`);
    const k = o.mapping.classOf(grade);
    if (k === undefined) {
      throw new UserError(
        `${o.file} row ${line}: ${o.gradeColumn} "${grade}" of ${name} is not ${o.remapped ? `in data.remap (${o.mapping.accepted})` : 'a DR grade 0-4'}`,
      );
    }
    const earlier = seen.get(stemKey(name));
    if (earlier !== undefined) throw new UserError(`${o.file} rows ${earlier} and ${line} both name image "${name}"; keep one row per image`);
    seen.set(stemKey(name), line);
    if (k === null) {
      dropped.count++;
      dropped.values.add(canonicalValue(grade));
      continue;
    }
    const file = index.get(stemKey(name));
    if (!file) {
      missing.push({ name, origin: `${base} row ${line}`, file: path.join(o.imagesDir, `${name}${o.expectedExtension}`) });
      continue;
    }
    const sample: Sample = { id: relativeId(o.imagesDir, file), file, label: k, origin: `${base} row ${line}` };
    const group = groupFromName(name, o.groupPattern);
    if (group !== undefined) sample.group = group;
    samples.push(sample);
  }
  const warnings = [
    ...missingImagesWarning(missing, o.table.rows.length, o.file, o.strict),
    ...droppedWarning(dropped.count, o.table.rows.length, o.file, dropped.values),
  ];
  return { samples, missing, warnings };
}
