import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../../util/errors';
import { DEFAULT_IMAGE_EXTENSIONS } from '../constants';
import { RefugeSourceConfig, refugeSourceSchema, resolveRefugePaths } from './refuge-schema';
import { defineSource } from './source';
import { Dataset, Sample } from '../types';
import { TableRows } from './csv-table';
import { fileImageLoaders } from './file-images';
import { listFiles, listImages, looseName, relativeId, splitFromPath, stemKey } from './files';
import { assertNoEmptyClass, MissingImage, missingImagesWarning } from './labels';
import { LABEL_FILE_EXTENSIONS, readLabelRows } from './spreadsheet';

export const REFUGE_CLASSES = ['non-glaucoma', 'glaucoma'];

/** Folders that hold masks, annotations or illustrations rather than photographs to classify. */
function isAnnotationFolder(name: string): boolean {
  const n = looseName(name);
  return /mask|annotation|illustration|segmentation|groundtruth/.test(n) || /(^|[-_ ])gt$/i.test(name.trim()) || n === 'gt';
}

/** A label from one row of a label file. */
interface TableLabel {
  label: number;
  origin: string;
  file: string;
}

/** The image-name column: ImgName, Image name, FileName, image, name ... (compared as looseName). */
function imageColumnOf(header: string[]): number {
  const names = header.map(looseName);
  const exact = names.findIndex((n) => ['imgname', 'imagename', 'filename', 'image', 'img', 'name', 'file'].includes(n));
  if (exact >= 0) return exact;
  return names.findIndex((n) => /imgname|imagename|filename/.test(n));
}

/** The glaucoma column: "Glaucoma Label", "Label(Glaucoma=1)", "Glaucoma Risk", or a plain "Label". */
function labelColumnOf(header: string[]): number {
  const names = header.map(looseName);
  const glaucoma = names.map((n, i) => [n, i] as const).filter(([n]) => n.includes('glaucoma') && !n.includes('fovea'));
  if (glaucoma.length > 0) return (glaucoma.find(([n]) => n.includes('label')) ?? glaucoma[0])[1];
  return names.indexOf('label');
}

function looksLikeImageName(v: string): boolean {
  return /\.(jpe?g|png|bmp|tiff?)$/i.test(v) || /^[a-z]?\d{3,}$/i.test(v);
}

/**
 * The image -> label rows of one label file, or null when it holds no glaucoma labels (a fovea-only
 * sheet). With a header: loosely matched image and glaucoma columns. Without one (REFUGE2's task1.xls):
 * the first column names the image, the second holds 0/1. Labels other than 0/1 are an error naming the row.
 */
function labelsOf(rows: TableRows): Array<{ key: string; label: number; line: number; name: string }> | null {
  if (rows.rows.length === 0) return null;
  const first = rows.rows[0].values;
  let imageCol: number;
  let labelCol: number;
  let body = rows.rows;
  const headerless = first.length >= 2 && looksLikeImageName(first[0]) && /^[01](\.0+)?$/.test(first[1]);
  if (headerless) {
    imageCol = 0;
    labelCol = 1;
  } else {
    imageCol = imageColumnOf(first);
    labelCol = labelColumnOf(first);
    if (imageCol < 0 || labelCol < 0) return null;
    body = rows.rows.slice(1);
  }
  const out: Array<{ key: string; label: number; line: number; name: string }> = [];
  for (const { values, line } of body) {
    const name = (values[imageCol] ?? '').trim();
    const value = (values[labelCol] ?? '').trim();
    if (name === '' && value === '') continue;
    if (name === '') throw new UserError(`${rows.file} row ${line}: no image name`);
    const n = Number(value);
    if (value === '' || (n !== 0 && n !== 1)) {
      throw new UserError(
        `${rows.file} row ${line}: glaucoma label "${value}" of ${name} is not 0 or 1 (1 = glaucoma); fix the row, or list only the ground-truth files in data.labelFiles`,
      );
    }
    out.push({ key: stemKey(name), label: n, line, name });
  }
  return out;
}

/**
 * REFUGE as released. 2018: `Training400/Glaucoma/g0001.jpg`, `Training400/Non-Glaucoma/n0001.jpg`
 * (label from the folder, else the g/n prefix), `Validation400/V0001.jpg` and `Test400/T0001.jpg`
 * with labels from their ground-truth sheets (`Fovea_locations.xlsx`: Glaucoma Label;
 * `Glaucoma_label_and_Fovea_location.xlsx`: Label(Glaucoma=1)). REFUGE2: `glaucoma.csv`
 * (FileName, Glaucoma Risk) and the header-less `task1.xls` (name, label). Label files are found
 * anywhere below the root (or listed in data.labelFiles) and their columns matched loosely; images
 * anywhere below the root outside mask/annotation folders. The split comes from the nearest folder
 * naming one (Training400 -> train, Validation400 -> val, Test400 -> test). 1 = glaucoma.
 */
export async function loadRefugeDataset(cfg: RefugeSourceConfig): Promise<Dataset> {
  const root = path.resolve(cfg.root);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new UserError(
      `data.root: folder not found: ${root}; point it at the REFUGE folder (Training400/, Validation400/, Test400/ and their ground truth)`,
    );
  }
  const labelFiles = cfg.labelFiles ?? listFiles(root, LABEL_FILE_EXTENSIONS, 4);
  const byName = new Map<string, TableLabel>();
  const listed: Array<{ key: string; name: string; origin: string }> = [];
  for (const file of labelFiles) {
    const rows = labelsOf(readLabelRows(file, 'data.labelFiles'));
    if (rows === null) {
      if (cfg.labelFiles) throw new UserError(`data.labelFiles: ${file} has no image-name and glaucoma-label columns`);
      continue;
    }
    const base = relativeId(root, file);
    for (const r of rows) {
      const origin = `${base} row ${r.line}`;
      const earlier = byName.get(r.key);
      if (earlier && earlier.label !== r.label) {
        throw new UserError(`${file} row ${r.line}: ${r.name} is labelled ${r.label}, but ${earlier.origin} says ${earlier.label}`);
      }
      if (!earlier) {
        byName.set(r.key, { label: r.label, origin, file });
        listed.push({ key: r.key, name: r.name, origin });
      }
    }
  }

  const images = listImages(root, { extensions: new Set(DEFAULT_IMAGE_EXTENSIONS), skipDir: isAnnotationFolder });
  const samples: Sample[] = [];
  const found = new Set<string>();
  const unlabelled: string[] = [];
  for (const file of images) {
    const key = stemKey(file);
    const folder = looseName(path.basename(path.dirname(file)));
    const fromFolder = folder === 'glaucoma' ? 1 : folder === 'nonglaucoma' ? 0 : undefined;
    const fromTable = byName.get(key);
    const id = relativeId(root, file);
    if (fromFolder !== undefined && fromTable && fromFolder !== fromTable.label) {
      throw new UserError(`${id} lies in a ${fromFolder ? 'Glaucoma' : 'Non-Glaucoma'} folder, but ${fromTable.origin} labels it ${fromTable.label}`);
    }
    const fromPrefix = /^g\d+$/.test(key) ? 1 : /^n\d+$/.test(key) ? 0 : undefined;
    const label = fromFolder ?? fromTable?.label ?? fromPrefix;
    if (label === undefined) {
      unlabelled.push(id);
      continue;
    }
    found.add(key);
    const sample: Sample = { id, file, label };
    if (fromTable && fromFolder === undefined) sample.origin = fromTable.origin;
    const split = splitFromPath(root, file);
    if (split && cfg.officialSplit) sample.split = split;
    samples.push(sample);
  }

  const warnings: string[] = [];
  const missing: MissingImage[] = listed.filter((l) => !found.has(l.key)).map((l) => ({ name: l.name, origin: l.origin }));
  warnings.push(...missingImagesWarning(missing, listed.length, 'the REFUGE label files', cfg.strict));
  if (unlabelled.length > 0) {
    warnings.push(
      `${unlabelled.length} images under ${root} have no glaucoma label (no Glaucoma/Non-Glaucoma folder, label-file row or g/n name) and were left out: ` +
        `${unlabelled.slice(0, 5).join(', ')}${unlabelled.length > 5 ? ', ...' : ''}`,
    );
  }
  const dataset = { task: 'binary' as const, classes: [...REFUGE_CLASSES], samples };
  assertNoEmptyClass(dataset, root);
  return { source: 'refuge', ...dataset, ...fileImageLoaders(), warnings, missing: missing.map((m) => `${m.name} (${m.origin})`) };
}

export const refugeSource = defineSource({
  name: 'refuge',
  schema: refugeSourceSchema,
  resolvePaths: resolveRefugePaths,
  load: (cfg) => loadRefugeDataset(cfg),
});
