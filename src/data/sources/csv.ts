import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { CsvSourceConfig } from '../config';
import { Dataset, Sample, Task } from '../types';
import { CsvTable, findColumn, readCsvTable } from './csv-table';
import { fileImageLoaders } from './file-images';

/** Orders class values: numerically when they all are numbers ("0" < "2" < "10"), else by code unit. */
function sortClassValues(values: string[]): string[] {
  const numeric = values.every((v) => v !== '' && Number.isFinite(Number(v)));
  return [...values].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/** A 0/1 cell of a multi-label column ("1", "0", "1.0" are fine). */
function parseFlag(table: CsvTable, line: number, column: string, value: string): number {
  const n = value === '' ? NaN : Number(value);
  if (n !== 0 && n !== 1) {
    throw new UserError(`${table.file} row ${line}, column "${column}": "${value}" is not 0 or 1; multi-label columns hold 0 or 1 for every image`);
  }
  return n;
}

interface ParsedRow {
  line: number;
  image: string;
  label?: number;
  labels?: number[];
  group?: string;
}

/**
 * Any CSV with an image column and either one 0/1 column per class (multi-label, as the Huawei
 * seed's `Image_File,cataract,glaucoma,diabetic_retinopathy,normal_fundus`) or one class column.
 * Paths in the image column are relative to `imagesDir`. Row numbers in messages count the header
 * as row 1, as a spreadsheet shows them.
 */
export async function loadCsvDataset(cfg: CsvSourceConfig): Promise<Dataset> {
  const csvFile = path.resolve(cfg.csv);
  const imagesDir = path.resolve(cfg.imagesDir ?? path.dirname(csvFile));
  const table = readCsvTable(csvFile, 'data.csv');
  if (table.rows.length === 0) throw new UserError(`${csvFile} has a header but no rows; it needs one row per image`);
  const imageCol = findColumn(table, cfg.imageColumn, 'data.imageColumn');
  const groupCol = cfg.groupColumn !== undefined ? findColumn(table, cfg.groupColumn, 'data.groupColumn') : undefined;

  let task: Task;
  let classes: string[];
  const rows: ParsedRow[] = [];
  const base = (values: string[], line: number): ParsedRow => {
    const image = values[imageCol];
    if (image === '') throw new UserError(`${csvFile} row ${line}: empty "${table.header[imageCol]}" cell; every row needs an image file name`);
    const withExt = cfg.imageExtension && path.extname(image) === '' ? image + cfg.imageExtension : image;
    const row: ParsedRow = { line, image: withExt };
    if (groupCol !== undefined && values[groupCol] !== '') row.group = values[groupCol];
    return row;
  };

  if (cfg.labelColumns) {
    task = 'multilabel';
    classes = [...cfg.labelColumns];
    const cols = cfg.labelColumns.map((c) => findColumn(table, c, 'data.labelColumns'));
    for (const { values, line } of table.rows) {
      rows.push({ ...base(values, line), labels: cols.map((c, k) => parseFlag(table, line, cfg.labelColumns![k], values[c])) });
    }
  } else {
    const classColumn = cfg.classColumn!;
    const col = findColumn(table, classColumn, 'data.classColumn');
    const values = table.rows.map((r) => ({ value: r.values[col], line: r.line }));
    const empty = values.find((v) => v.value === '');
    if (empty) throw new UserError(`${csvFile} row ${empty.line}, column "${classColumn}": empty class; every row needs one`);
    classes = cfg.classes ? [...cfg.classes] : sortClassValues([...new Set(values.map((v) => v.value))]);
    const index = new Map(classes.map((c, i) => [c, i]));
    for (const { values: cells, line } of table.rows) {
      const label = index.get(cells[col]);
      if (label === undefined) {
        throw new UserError(`${csvFile} row ${line}, column "${classColumn}": unknown class "${cells[col]}"; data.classes lists ${classes.join(', ')}`);
      }
      rows.push({ ...base(cells, line), label });
    }
    if (classes.length < 2) {
      throw new UserError(`${csvFile}: column "${classColumn}" holds only the class "${classes[0]}"; a classifier needs at least two`);
    }
    task = classes.length === 2 ? 'binary' : 'multiclass';
  }

  // Each image once; every image present (or skipped and reported when the config allows).
  const seen = new Map<string, number>();
  const missing: ParsedRow[] = [];
  const samples: Sample[] = [];
  for (const r of rows) {
    const earlier = seen.get(r.image);
    if (earlier !== undefined) {
      throw new UserError(`${csvFile} rows ${earlier} and ${r.line} both name image "${r.image}"; keep one row per image`);
    }
    seen.set(r.image, r.line);
    const file = path.resolve(imagesDir, r.image);
    if (!fs.existsSync(file)) {
      missing.push(r);
      continue;
    }
    const sample: Sample = { id: r.image, file };
    if (r.label !== undefined) sample.label = r.label;
    if (r.labels !== undefined) sample.labels = r.labels;
    if (r.group !== undefined) sample.group = r.group;
    samples.push(sample);
  }
  const warnings: string[] = [];
  if (missing.length > 0) {
    const first = missing[0];
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
    if (!cfg.skipBadImages) {
      throw new UserError(
        `${csvFile} row ${first.line}: image not found: ${path.resolve(imagesDir, first.image)}${more}; ` +
          'check data.imagesDir and data.imageExtension, or set data.skipBadImages: true to skip missing images',
      );
    }
    const names = missing.slice(0, 5).map((m) => m.image).join(', ');
    warnings.push(`${missing.length} of ${rows.length} images listed in ${csvFile} are missing under ${imagesDir} and were skipped: ${names}${missing.length > 5 ? ', ...' : ''}`);
  }
  if (samples.length === 0) throw new UserError(`none of the images listed in ${csvFile} exist under ${imagesDir}; check data.imagesDir`);
  classes.forEach((name, k) => {
    if (task === 'multilabel' && !samples.some((s) => s.labels![k] === 1)) {
      throw new UserError(`${csvFile}: column "${name}" has no 1 in any row with an image, so class "${name}" is empty; remove it from data.labelColumns or add images`);
    }
    if (task !== 'multilabel' && !samples.some((s) => s.label === k)) {
      throw new UserError(`${csvFile}: no row with an image has class "${name}" in column "${cfg.classColumn}"; remove it from data.classes or add images`);
    }
  });

  return { source: 'csv', task, classes, samples, ...fileImageLoaders(), warnings };
}
