import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { DEFAULT_IMAGE_EXTENSIONS, ODIR_CLASSES, OdirClass } from '../constants';
import { OdirSourceConfig, odirSourceSchema, resolveOdirPaths } from './odir-schema';
import { defineSource } from './source';
import { Dataset, Sample } from '../types';
import { CsvTable, findColumn, findColumnIfAny, withHeader } from './csv-table';
import { fileImageLoaders } from './file-images';
import { indexByStem, listFiles, listImages, relativeId, stemKey } from './files';
import { assertNoEmptyClass, MissingImage, missingImagesWarning } from './labels';
import { LABEL_FILE_EXTENSIONS, readLabelRows } from './spreadsheet';

/** Keywords that say nothing about disease: they add no class (an eye with only these is left out). */
const NEUTRAL_KEYWORDS = new Set(['lens dust', 'optic disk photographically invisible', 'low image quality', 'image offset']);
/** Keywords that say the picture is no fundus photograph: the image is left out. */
const NOT_FUNDUS_KEYWORDS = new Set(['anterior segment image', 'no fundus image']);

/**
 * ODIR's class of one diagnostic keyword (lower case, spaces collapsed). Rules in order, first match:
 * "normal fundus" -> N; hypertensi... -> H (hypertensive retinopathy); myopi... -> M (pathological
 * myopia, myopia retinopathy, myopic maculopathy); glaucoma -> G (suspected glaucoma too); cataract -> C;
 * age-related macular degeneration (dry, wet) -> A; diabetic, (non)proliferative retinopathy -> D;
 * anything else -> O ("other diseases/abnormalities": drusen, epiretinal membrane, laser spot, vein
 * occlusion, ...). The neutral and not-fundus keywords above are handled before.
 */
export function odirClassOfKeyword(keyword: string): OdirClass {
  const k = keyword.toLowerCase().replace(/\s+/g, ' ').trim();
  if (k === 'normal fundus') return 'N';
  if (/hypertensi/.test(k)) return 'H';
  if (/myopi/.test(k)) return 'M';
  if (/glaucoma/.test(k)) return 'G';
  if (/cataract/.test(k)) return 'C';
  if (/age[- ]?related macular degeneration|\bamd\b/.test(k)) return 'A';
  if (/diabetic|proliferative|non ?proliferative/.test(k)) return 'D';
  return 'O';
}

/** One eye's keywords: separated by the full-width comma U+FF0C (and, in some copies, by ","). */
export function splitKeywords(cell: string): string[] {
  return cell
    .split(/[\uFF0C,]/)
    .map((k) => k.toLowerCase().replace(/\s+/g, ' ').trim())
    .filter((k) => k !== '');
}

/** What one eye's keywords mean: classes, or that the picture is no fundus photograph. */
export function odirEyeLabels(cell: string): { classes: Set<OdirClass>; notFundus: boolean } {
  const classes = new Set<OdirClass>();
  let notFundus = false;
  for (const k of splitKeywords(cell)) {
    if (NOT_FUNDUS_KEYWORDS.has(k)) notFundus = true;
    else if (!NEUTRAL_KEYWORDS.has(k)) classes.add(odirClassOfKeyword(k));
  }
  return { classes, notFundus };
}

const COLUMNS = {
  id: 'ID',
  left: 'Left-Fundus',
  right: 'Right-Fundus',
  leftKeywords: 'Left-Diagnostic Keywords',
  rightKeywords: 'Right-Diagnostic Keywords',
};

function isOdirSheet(table: CsvTable): boolean {
  return [COLUMNS.left, COLUMNS.right, COLUMNS.leftKeywords, COLUMNS.rightKeywords].every((c) => findColumnIfAny(table, c) !== undefined);
}

/** The annotation sheet: data.labels, else the one .xlsx (preferred) or .csv below root with ODIR's columns. */
function findLabelFile(root: string, warnings: string[]): CsvTable {
  const candidates: CsvTable[] = [];
  for (const file of listFiles(root, LABEL_FILE_EXTENSIONS, 3)) {
    const rows = readLabelRows(file, 'data.labels');
    if (rows.rows.length === 0) continue;
    const table = withHeader(rows);
    if (isOdirSheet(table)) candidates.push(table);
  }
  if (candidates.length === 0) {
    throw new UserError(
      `data.root: no .xlsx or .csv below ${root} has ODIR's columns (ID, Left-Fundus, Right-Fundus, Left-/Right-Diagnostic Keywords); set data.labels`,
    );
  }
  candidates.sort((a, b) => Number(path.extname(b.file) === '.xlsx') - Number(path.extname(a.file) === '.xlsx'));
  if (candidates.length > 1)
    warnings.push(`several ODIR annotation files below ${root}; using ${candidates[0].file} (set data.labels to choose another)`);
  return candidates[0];
}

/** The folder holding the images the sheet names: data.imagesDir, else the one below root that has the first row's image. */
function findImagesDir(root: string, firstImage: string): string {
  const dirs = [
    ...new Set(
      listImages(root, { extensions: new Set(DEFAULT_IMAGE_EXTENSIONS) })
        .filter((f) => stemKey(f) === stemKey(firstImage))
        .map((f) => path.dirname(f)),
    ),
  ];
  if (dirs.length === 1) return dirs[0];
  const training = dirs.filter((d) => /train/i.test(path.basename(d)) && !/preprocess/i.test(d));
  if (training.length === 1) return training[0];
  if (dirs.length === 0)
    throw new UserError(`data.root: no image ${firstImage} below ${root}; set data.imagesDir to the folder of the fundus images`);
  throw new UserError(
    `data.root: ${firstImage} is in several folders (${dirs.map((d) => relativeId(root, d)).join(', ')}); set data.imagesDir to one`,
  );
}

/**
 * ODIR-5K as released: one row per patient (`ID, Patient Age, Patient Sex, Left-Fundus, Right-Fundus,
 * Left-Diagnostic Keywords, Right-Diagnostic Keywords, N, D, G, C, A, H, M, O`; .xlsx or the Kaggle
 * copy's CSV) and the images in `Training Images/`. The letter flags describe the patient, so each
 * image's classes come from its own eye's keywords (odirClassOfKeyword); a multi-label task over
 * data.classes. Both eyes of a patient share a group (the row ID). Eyes whose keywords say
 * "anterior segment image" or "no fundus image", or that have none of data.classes, are left out and
 * counted; disagreements between the eyes' keywords and the patient flags are counted in a warning.
 */
export async function loadOdirDataset(cfg: OdirSourceConfig): Promise<Dataset> {
  const root = path.resolve(cfg.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new UserError(`data.root: folder not found: ${root}; point it at the ODIR-5K folder`);
  }
  const warnings: string[] = [];
  const table = cfg.labels !== undefined ? withHeader(readLabelRows(path.resolve(cfg.labels), 'data.labels')) : findLabelFile(root, warnings);
  if (!isOdirSheet(table)) findColumn(table, COLUMNS.leftKeywords, 'odir labels'); // names the missing column
  const col = {
    id: findColumn(table, COLUMNS.id, 'odir labels'),
    left: findColumn(table, COLUMNS.left, 'odir labels'),
    right: findColumn(table, COLUMNS.right, 'odir labels'),
    leftKeywords: findColumn(table, COLUMNS.leftKeywords, 'odir labels'),
    rightKeywords: findColumn(table, COLUMNS.rightKeywords, 'odir labels'),
  };
  const flagCols = ODIR_CLASSES.map((c) => findColumnIfAny(table, c));
  if (table.rows.length === 0) throw new UserError(`${table.file} has a header but no rows`);
  const imagesDir = cfg.imagesDir !== undefined ? path.resolve(cfg.imagesDir) : findImagesDir(root, table.rows[0].values[col.left]);
  if (!fs.existsSync(imagesDir)) throw new UserError(`data.imagesDir: folder not found: ${imagesDir}`);
  const { index } = indexByStem(listImages(imagesDir, { extensions: new Set(DEFAULT_IMAGE_EXTENSIONS) }));

  const classes = [...cfg.classes];
  const base = path.basename(table.file);
  const samples: Sample[] = [];
  const missing: MissingImage[] = [];
  const seenPatient = new Map<string, { line: number; images: string }>();
  let notFundus = 0;
  let noClass = 0;
  let disagree = 0;
  const firstDisagree: string[] = [];
  let eyes = 0;
  for (const { values, line } of table.rows) {
    const id = values[col.id];
    if (id === '') throw new UserError(`${table.file} row ${line}: empty "ID" cell; every row is one patient`);
    const images = `${values[col.left]}|${values[col.right]}`;
    const earlier = seenPatient.get(id);
    if (earlier) {
      // The Kaggle copy's full_df.csv repeats each patient row once per eye.
      if (earlier.images === images) continue;
      throw new UserError(`${table.file} rows ${earlier.line} and ${line} both describe patient ${id} with different images`);
    }
    seenPatient.set(id, { line, images });
    const union = new Set<OdirClass>();
    let normalEyes = 0;
    for (const [imageCol, keywordCol, side] of [
      [col.left, col.leftKeywords, 'Left'],
      [col.right, col.rightKeywords, 'Right'],
    ] as const) {
      const name = values[imageCol];
      if (name === '') continue;
      eyes++;
      const eye = odirEyeLabels(values[keywordCol]);
      eye.classes.forEach((c) => union.add(c));
      if (eye.classes.has('N') && eye.classes.size === 1) normalEyes++;
      const origin = `${base} row ${line}, ${side}-Fundus`;
      if (eye.notFundus) {
        notFundus++;
        continue;
      }
      const labels = classes.map((c) => (eye.classes.has(c) ? 1 : 0));
      if (!labels.includes(1)) {
        noClass++;
        continue;
      }
      const file = index.get(stemKey(name));
      if (!file) {
        missing.push({ name, origin, file: path.join(imagesDir, name) });
        continue;
      }
      samples.push({ id: relativeId(imagesDir, file), file, labels, group: id, origin });
    }
    // The patient flags: N when both eyes are normal; each other letter when either eye has it.
    if (flagCols.every((c) => c !== undefined)) {
      const flags = ODIR_CLASSES.map((_, k) => values[flagCols[k]!].trim() === '1');
      const expected = ODIR_CLASSES.map((c) => (c === 'N' ? normalEyes === 2 : union.has(c)));
      if (flags.some((f, k) => f !== expected[k])) {
        disagree++;
        if (firstDisagree.length < 3) firstDisagree.push(`row ${line} (ID ${id})`);
      }
    }
  }
  warnings.push(...missingImagesWarning(missing, eyes, table.file, cfg.strict));
  if (notFundus > 0) warnings.push(`${notFundus} ODIR images are described as "anterior segment image" or "no fundus image" and were left out`);
  if (noClass > 0)
    warnings.push(
      `${noClass} ODIR images have none of the classes ${classes.join(', ')} in their keywords (or only "lens dust", "low image quality", ...) and were left out`,
    );
  if (disagree > 0) {
    warnings.push(
      `${disagree} ODIR patients' N-O flags differ from what their eyes' keywords give (${firstDisagree.join(', ')}${disagree > 3 ? ', ...' : ''}); the per-eye keywords are used`,
    );
  }
  const dataset = { task: 'multilabel' as const, classes, samples };
  assertNoEmptyClass(dataset, table.file);
  return { source: 'odir', ...dataset, ...fileImageLoaders(), warnings, missing: missing.map((m) => m.file!) };
}

export const odirSource = defineSource({
  name: 'odir',
  schema: odirSourceSchema,
  resolvePaths: resolveOdirPaths,
  load: (cfg) => loadOdirDataset(cfg),
});
