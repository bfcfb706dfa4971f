import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { UserError } from '../util/errors';

/** The two photographs of one patient. */
export interface EyePair {
  patient: string;
  right: string;
  left: string;
}

const EYE_NAME = /^(.+?)[_-](right|left)$/i;

/** Patient id and eye from a file name `<id>_right.<ext>` / `<id>_left.<ext>` (also with "-"), or null. */
export function eyeFromName(file: string): { patient: string; eye: 'right' | 'left' } | null {
  const base = path.basename(file);
  const stem = base.slice(0, base.length - path.extname(base).length);
  const m = EYE_NAME.exec(stem);
  return m ? { patient: m[1], eye: m[2].toLowerCase() as 'right' | 'left' } : null;
}

/** An image whose name says which eye it is, but that has no patient result: why, in words. */
export interface LoneEye {
  file: string;
  reason: string;
}

/**
 * Pairs files by their names (`10_right.jpeg` with `10_left.jpeg`, case-insensitive). Pairs come in
 * the order of their first file; files without a partner (or without an eye in the name) are `unpaired`,
 * and those of them that do name an eye are also in `lone`, with the reason they form no pair.
 */
export function pairsByName(files: string[]): { pairs: EyePair[]; unpaired: string[]; lone: LoneEye[] } {
  const byPatient = new Map<string, { patient: string; right?: string; left?: string; first: number }>();
  const unpaired: string[] = [];
  const reasons = new Map<string, string>();
  files.forEach((file, i) => {
    const eye = eyeFromName(file);
    if (!eye) {
      unpaired.push(file);
      return;
    }
    // Two folders may hold the same ids: the folder is part of the patient key.
    const key = `${path.dirname(file)}\u0000${eye.patient.toLowerCase()}`;
    const entry = byPatient.get(key) ?? { patient: eye.patient, first: i };
    const taken = entry[eye.eye];
    if (taken) {
      unpaired.push(file);
      reasons.set(
        file,
        `patient ${eye.patient} has another ${eye.eye}-eye image, ${path.basename(taken)}, which pairs first; give this one with --pair or --pairs`,
      );
    } else entry[eye.eye] = file;
    byPatient.set(key, entry);
  });
  const pairs: EyePair[] = [];
  for (const e of [...byPatient.values()].sort((a, b) => a.first - b.first)) {
    if (e.right && e.left) {
      pairs.push({ patient: e.patient, right: e.right, left: e.left });
      continue;
    }
    const file = (e.right ?? e.left)!;
    const [has, lacks] = e.right ? ['right', 'left'] : ['left', 'right'];
    unpaired.push(file);
    reasons.set(
      file,
      `only the ${has} eye of patient ${e.patient}: no ${e.patient}_${lacks} image in ${path.dirname(file)} among the inputs, and a patient result needs both eyes`,
    );
  }
  const lone = files.filter((f) => reasons.has(f)).map((file) => ({ file, reason: reasons.get(file)! }));
  return { pairs, unpaired: files.filter((f) => unpaired.includes(f)), lone };
}

/** A header's letters, lower case ("Right eye" -> "righteye"). */
const loose = (name: string): string => name.toLowerCase().replace(/[^a-z]/g, '');

/**
 * Eye pairs from a CSV with a header: a right-eye column (`right`, `right_eye`, `od`...), a left-eye
 * column (`left`, `os`...) and optionally a patient column (`patient`, `patient_id`, `id`). Relative
 * paths are taken from the CSV's folder.
 */
export function readPairsCsv(file: string): EyePair[] {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new UserError(`pairs CSV not found: ${file}`);
  let rows: string[][];
  try {
    rows = parse(fs.readFileSync(abs, 'utf8'), { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (e) {
    throw new UserError(`${file}: not a readable CSV (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  if (rows.length < 2) throw new UserError(`${file}: needs a header (right,left[,patient]) and at least one row`);
  const header = rows[0].map(loose);
  const find = (test: (h: string) => boolean) => header.findIndex(test);
  const right = find((h) => h.startsWith('right') || h === 'od' || h === 're');
  const left = find((h) => h.startsWith('left') || h === 'os' || h === 'le');
  const patient = find((h) => h === 'patient' || h === 'patientid' || h === 'id');
  if (right < 0 || left < 0) {
    throw new UserError(`${file}: the header (${rows[0].join(', ')}) needs a right-eye column and a left-eye column, e.g. "patient,right,left"`);
  }
  const dir = path.dirname(abs);
  return rows.slice(1).map((row, i) => {
    const line = i + 2;
    const r = row[right];
    const l = row[left];
    if (!r || !l) throw new UserError(`${file} row ${line}: needs both a right-eye and a left-eye file`);
    return { patient: (patient >= 0 && row[patient]) || `row ${line}`, right: path.resolve(dir, r), left: path.resolve(dir, l) };
  });
}
