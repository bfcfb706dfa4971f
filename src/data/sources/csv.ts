import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { CsvSourceConfig, csvSourceSchema, resolveCsvPaths } from './csv-schema';
import { defineSource } from './source';
import { Dataset, Sample, Split, Task } from '../types';
import { CsvTable, findColumn, readCsvTable } from './csv-table';
import { fileImageLoaders } from './file-images';
import { compileGroupPattern, groupFromName, splitFromName } from './files';
import { canonicalValue, droppedWarning, remapMapping } from './labels';

/** Orders class values: numerically when they all are numbers ("0" < "2" < "10"), else by code unit. */
function sortClassValues(values: string[]): string[] {
  const numeric = values.every((v) => v !== '' && Number.isFinite(Number(v)));
  return [...values].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Classes read from a 0/1 or graded column (integers that include 0 and 1) must run 0, 1, 2, ...
 * without a gap: a 7 in a 0/1 column is a typo, not a third class. Other integer labels (0, 2,
 * 10), text classes and data.classes are taken as they are.
 */
function assertNoGap(classes: string[], values: { value: string; line: number }[], csvFile: string, column: string): void {
  if (!classes.every((c) => /^-?\d+$/.test(c.trim()))) return;
  const numbers = classes.map((c) => Number(c));
  if (!numbers.includes(0) || !numbers.includes(1)) return;
  for (let i = 1; i < numbers.length; i++) {
    if (numbers[i] === numbers[i - 1] + 1) continue;
    const odd = classes[i];
    const row = values.find((v) => v.value === odd)!.line;
    throw new UserError(
      `${csvFile} row ${row}, column "${column}": value "${odd}" leaves a gap in the classes ${classes.join(', ')} ` +
        `(${numbers[i - 1] + 1}${numbers[i] - 1 > numbers[i - 1] + 1 ? `..${numbers[i] - 1}` : ''} never occur); fix the row if it is a typo, or list every class in data.classes`,
    );
  }
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
  split?: Split;
}

/**
 * Any CSV with an image column and either one 0/1 column per class (multi-label, as the Huawei
 * seed's `Image_File,cataract,glaucoma,diabetic_retinopathy,normal_fundus`) or one class column
 * (values named by data.classes, or mapped by data.remap, where null drops a row: SMDG's -1 suspects).
 * Paths in the image column are relative to `imagesDir`. Patients come from a group column or from
 * the image name (`<id>_left`); an optional split column carries official splits. Row numbers in
 * messages count the header as row 1, as a spreadsheet shows them.
 */
export async function loadCsvDataset(cfg: CsvSourceConfig): Promise<Dataset> {
  const csvFile = path.resolve(cfg.csv);
  const imagesDir = path.resolve(cfg.imagesDir ?? path.dirname(csvFile));
  const table = readCsvTable(csvFile, 'data.csv');
  if (table.rows.length === 0) throw new UserError(`${csvFile} has a header but no rows; it needs one row per image`);
  const imageCol = findColumn(table, cfg.imageColumn, 'data.imageColumn');
  const groupCol = cfg.groupColumn !== undefined ? findColumn(table, cfg.groupColumn, 'data.groupColumn') : undefined;
  const splitCol = cfg.splitColumn !== undefined ? findColumn(table, cfg.splitColumn, 'data.splitColumn') : undefined;
  const groupPattern = compileGroupPattern(cfg.groupPattern);
  const warnings: string[] = [];

  let task: Task;
  let classes: string[];
  const rows: ParsedRow[] = [];
  let withoutImage = 0;
  const dropped = { count: 0, values: new Set<string>() };
  /** The row's image, group and split; null when the row has no image and such rows are skipped. */
  const base = (values: string[], line: number): ParsedRow | null => {
    const image = values[imageCol];
    if (image === '') {
      if (cfg.skipRowsWithoutImage) {
        withoutImage++;
        return null;
      }
      throw new UserError(
        `${csvFile} row ${line}: empty "${table.header[imageCol]}" cell; every row needs an image file name (or set data.skipRowsWithoutImage: true)`,
      );
    }
    const withExt = cfg.imageExtension && path.extname(image) === '' ? image + cfg.imageExtension : image;
    const row: ParsedRow = { line, image: withExt };
    if (groupCol !== undefined) {
      if (values[groupCol] !== '') row.group = values[groupCol];
    } else {
      const g = groupFromName(withExt, groupPattern);
      if (g !== undefined) row.group = g;
    }
    if (splitCol !== undefined && values[splitCol] !== '') {
      const s = splitFromName(values[splitCol]);
      if (!s)
        throw new UserError(`${csvFile} row ${line}, column "${table.header[splitCol]}": "${values[splitCol]}" is not a split (train, val or test)`);
      row.split = s;
    }
    return row;
  };

  if (cfg.labelColumns) {
    task = 'multilabel';
    classes = [...cfg.labelColumns];
    const cols = cfg.labelColumns.map((c) => findColumn(table, c, 'data.labelColumns'));
    for (const { values, line } of table.rows) {
      const row = base(values, line);
      if (row) rows.push({ ...row, labels: cols.map((c, k) => parseFlag(table, line, cfg.labelColumns![k], values[c])) });
    }
  } else {
    const classColumn = cfg.classColumn!;
    const col = findColumn(table, classColumn, 'data.classColumn');
    const mapping = cfg.remap !== null ? remapMapping(cfg.remap) : undefined;
    const values = table.rows.map((r) => ({ value: r.values[col], line: r.line }));
    const empty = values.find((v) => v.value === '');
    if (empty) throw new UserError(`${csvFile} row ${empty.line}, column "${classColumn}": empty class; every row needs one`);
    const named = (value: string): string | null | undefined => {
      if (!mapping) return value;
      const k = mapping.classOf(value);
      return k === null ? null : k === undefined ? undefined : mapping.classes[k];
    };
    classes = cfg.classes ? [...cfg.classes] : mapping ? mapping.classes : sortClassValues([...new Set(values.map((v) => v.value))]);
    if (!cfg.classes && !mapping) assertNoGap(classes, values, csvFile, classColumn);
    const index = new Map(classes.map((c, i) => [c, i]));
    for (const { values: cells, line } of table.rows) {
      const name = named(cells[col]);
      if (name === null) {
        dropped.count++;
        dropped.values.add(canonicalValue(cells[col]));
        continue;
      }
      const label = name === undefined ? undefined : index.get(name);
      if (label === undefined) {
        throw new UserError(
          mapping && name === undefined
            ? `${csvFile} row ${line}, column "${classColumn}": value "${cells[col]}" is not in data.remap (${mapping.accepted}); add it (null drops such rows)`
            : `${csvFile} row ${line}, column "${classColumn}": unknown class "${name}"; data.classes lists ${classes.join(', ')}`,
        );
      }
      const row = base(cells, line);
      if (row) rows.push({ ...row, label });
    }
    if (classes.length < 2) {
      throw new UserError(`${csvFile}: column "${classColumn}" holds only the class "${classes[0]}"; a classifier needs at least two`);
    }
    task = classes.length === 2 ? 'binary' : 'multiclass';
  }
  warnings.push(...droppedWarning(dropped.count, table.rows.length, csvFile, dropped.values));
  if (withoutImage > 0)
    warnings.push(`${withoutImage} of ${table.rows.length} rows in ${csvFile} have no image in column "${table.header[imageCol]}" and were skipped`);

  // Each image once; every image present (or skipped and reported when the config allows).
  // Keyed by the resolved file, so "x.jpg", "./x.jpg" and "sub/../x.jpg" are one image.
  const seen = new Map<string, ParsedRow>();
  const missing: ParsedRow[] = [];
  const samples: Sample[] = [];
  const where = path.basename(csvFile);
  for (const r of rows) {
    const file = path.resolve(imagesDir, r.image);
    const earlier = seen.get(file);
    if (earlier !== undefined) {
      const names = earlier.image === r.image ? `"${r.image}"` : `"${earlier.image}" and "${r.image}", the same file`;
      throw new UserError(`${csvFile} rows ${earlier.line} and ${r.line} both name image ${names}; keep one row per image`);
    }
    seen.set(file, r);
    if (!fs.existsSync(file)) {
      missing.push(r);
      continue;
    }
    const sample: Sample = { id: r.image, file, origin: `${where} row ${r.line}` };
    if (r.label !== undefined) sample.label = r.label;
    if (r.labels !== undefined) sample.labels = r.labels;
    if (r.group !== undefined) sample.group = r.group;
    if (r.split !== undefined) sample.split = r.split;
    samples.push(sample);
  }
  if (missing.length > 0) {
    const first = missing[0];
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
    if (!cfg.skipBadImages) {
      throw new UserError(
        `${csvFile} row ${first.line}: image not found: ${path.resolve(imagesDir, first.image)}${more}; ` +
          'check data.imagesDir and data.imageExtension, or set data.skipBadImages: true to skip missing images',
      );
    }
    const names = missing
      .slice(0, 5)
      .map((m) => m.image)
      .join(', ');
    warnings.unshift(
      `${missing.length} of ${rows.length} images listed in ${csvFile} are missing under ${imagesDir} and were skipped: ${names}${missing.length > 5 ? ', ...' : ''}`,
    );
  }
  if (samples.length === 0) throw new UserError(`none of the images listed in ${csvFile} exist under ${imagesDir}; check data.imagesDir`);
  classes.forEach((name, k) => {
    if (task === 'multilabel' && !samples.some((s) => s.labels![k] === 1)) {
      throw new UserError(
        `${csvFile}: column "${name}" has no 1 in any row with an image, so class "${name}" is empty; remove it from data.labelColumns or add images`,
      );
    }
    if (task !== 'multilabel' && !samples.some((s) => s.label === k)) {
      throw new UserError(
        `${csvFile}: no row with an image has class "${name}" in column "${cfg.classColumn}"; remove it from data.classes or add images`,
      );
    }
  });

  return {
    source: 'csv',
    task,
    classes,
    samples,
    ...fileImageLoaders(),
    warnings,
    missing: missing.map((m) => path.resolve(imagesDir, m.image)),
  };
}

export const csvSource = defineSource({
  name: 'csv',
  schema: csvSourceSchema,
  resolvePaths: resolveCsvPaths,
  load: (cfg) => loadCsvDataset(cfg),
});
