import { UserError } from '../../util/errors';
import { REMAP_PRESETS } from '../constants';
import type { Remap } from './fields';
import { Dataset, Sample } from '../types';

/** Names of the five diabetic retinopathy grades 0-4 (international clinical scale), the classes without a remap. */
export const DR_GRADE_NAMES = ['No DR', 'Mild', 'Moderate', 'Severe', 'Proliferative'];

/** A numeric cell as one spelling ("1.0", " 1" -> "1"); anything else as it is, trimmed. */
export function canonicalValue(value: string): string {
  const t = value.trim();
  return t !== '' && Number.isFinite(Number(t)) ? String(Number(t)) : t;
}

/** How label values become classes. classOf: an index, null (the value is dropped by the remap), or undefined (unknown value). */
export interface ClassMapping {
  classes: string[];
  classOf(value: string): number | null | undefined;
  /** Describes the accepted values, for error messages. */
  accepted: string;
}

/**
 * The classes of a graded label: without a remap the values themselves name classes `names[k]` for
 * value k (DR grades 0-4); with a remap each value maps to a class name or null (rows dropped), and the
 * classes come in the order of their first appearance in the remap.
 */
export function gradeMapping(remap: Remap, names: string[]): ClassMapping {
  if (remap === null) {
    const byValue = new Map(names.map((_, k) => [String(k), k]));
    return { classes: [...names], classOf: (v) => byValue.get(canonicalValue(v)), accepted: `0-${names.length - 1}` };
  }
  return remapMapping(remap);
}

/** A remap alone (preset or object) as a mapping. */
export function remapMapping(remap: NonNullable<Remap>): ClassMapping {
  const table: Record<string, string | null> = typeof remap === 'string' ? REMAP_PRESETS[remap] : remap;
  const classes: string[] = [];
  const byValue = new Map<string, number | null>();
  for (const [value, name] of Object.entries(table)) {
    if (name !== null && !classes.includes(name)) classes.push(name);
    byValue.set(canonicalValue(value), name === null ? null : classes.indexOf(name));
  }
  return {
    classes,
    classOf: (v) => byValue.get(canonicalValue(v)),
    accepted: `the values in data.remap (${Object.keys(table).join(', ')})`,
  };
}

/** Rows a remap dropped (null) as one warning line, or nothing. */
export function droppedWarning(count: number, total: number, file: string, values: Set<string>): string[] {
  if (count === 0) return [];
  return [`${count} of ${total} rows in ${file} left out: data.remap maps their value (${[...values].join(', ')}) to null`];
}

/** One image listed in a label file whose file is not there. */
export interface MissingImage {
  name: string;
  /** Where it was listed ("trainLabels.csv row 12"). */
  origin: string;
  /** The path looked for, if one. */
  file?: string;
}

/**
 * The policy of the dataset sources for listed images that are absent: one warning line (how many,
 * the first few names) and the run goes on, or with data.strict a UserError naming the first.
 */
export function missingImagesWarning(missing: MissingImage[], total: number, where: string, strict: boolean): string[] {
  if (missing.length === 0) return [];
  if (strict) {
    const first = missing[0];
    throw new UserError(
      `${first.origin}: image ${first.name} not found${first.file ? ` (${first.file})` : ''}${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}; ` +
        'add the images, or set data.strict: false to go on with the images that exist',
    );
  }
  const names = missing
    .slice(0, 5)
    .map((m) => m.name)
    .join(', ');
  return [`${missing.length} of ${total} images listed in ${where} are missing and were left out: ${names}${missing.length > 5 ? ', ...' : ''}`];
}

/** Every class needs an image: an empty class is a UserError naming it and where the labels came from. */
export function assertNoEmptyClass(dataset: Pick<Dataset, 'task' | 'classes' | 'samples'>, where: string): void {
  if (dataset.samples.length === 0) throw new UserError(`${where}: no images found; check data.root and the folder layout`);
  dataset.classes.forEach((name, k) => {
    const has = (s: Sample): boolean => (dataset.task === 'multilabel' ? s.labels![k] === 1 : s.label === k);
    if (!dataset.samples.some(has)) {
      throw new UserError(`${where}: class "${name}" has no images; add images of it, or leave it out (data.remap / data.classes)`);
    }
  });
}

/** Binary for two classes, else multiclass. */
export function singleLabelTask(classes: string[]): 'binary' | 'multiclass' {
  return classes.length === 2 ? 'binary' : 'multiclass';
}
