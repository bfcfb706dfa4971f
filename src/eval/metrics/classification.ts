import { classRef, defined, Metric, undefinedMetric } from '../metric';

/**
 * Metrics of hard decisions (predicted class = argmax of the probabilities) for binary and
 * multiclass tasks, all derived from the confusion matrix over the full class list.
 */

/** Index of the largest value of each row; the first one on ties (as numpy's argmax). */
export function argmaxRows(probs: readonly (readonly number[])[]): number[] {
  return probs.map((row) => {
    let best = 0;
    for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
    return best;
  });
}

/** Rows are true classes, columns predicted classes, over all `nClasses` (absent ones give zero rows). */
export function confusionMatrix(labels: readonly number[], predicted: readonly number[], nClasses: number): number[][] {
  const cm = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let i = 0; i < labels.length; i++) cm[labels[i]][predicted[i]]++;
  return cm;
}

/** One class against the rest. */
export interface ClassCounts {
  tp: number;
  fp: number;
  fn: number;
  /** Number of true cases of the class. */
  support: number;
}

export function classCounts(cm: readonly (readonly number[])[]): ClassCounts[] {
  const k = cm.length;
  return cm.map((row, c) => {
    const tp = row[c];
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += cm[r][c];
    const support = row.reduce((a, b) => a + b, 0);
    return { tp, fp: predicted - tp, fn: support - tp, support };
  });
}

export interface PrecisionRecallF1 {
  precision: Metric;
  recall: Metric;
  f1: Metric;
}

/** How a zero-division note starts; averages quote the cause after it. */
export const ZERO_DIVISION_NOTE = 'set to 0 (zero division): ';

/**
 * Precision, recall and F1 of one class. Zero division (no predicted case, no true case)
 * gives 0, as scikit-learn's zero_division=0, and the note says so.
 */
export function precisionRecallF1(c: Pick<ClassCounts, 'tp' | 'fp' | 'fn'>, ref: string): PrecisionRecallF1 {
  const zero = (cause: string) => defined(0, ZERO_DIVISION_NOTE + cause);
  return {
    precision: c.tp + c.fp === 0 ? zero(`no case predicted as ${ref}`) : defined(c.tp / (c.tp + c.fp)),
    recall: c.tp + c.fn === 0 ? zero(`${ref} has no true case`) : defined(c.tp / (c.tp + c.fn)),
    f1: 2 * c.tp + c.fp + c.fn === 0 ? zero(`${ref} has no true and no predicted case`) : defined((2 * c.tp) / (2 * c.tp + c.fp + c.fn)),
  };
}

/** Mean of one field over classes, weighted or not; zero-division zeros are included and named. */
function averageField(rows: readonly PrecisionRecallF1[], field: keyof PrecisionRecallF1, weights: readonly number[] | null): Metric {
  let sum = 0;
  let total = 0;
  const causes: string[] = [];
  rows.forEach((r, c) => {
    const m = r[field];
    if (m.value === null) throw new Error(`internal: undefined ${field}`);
    const w = weights ? weights[c] : 1;
    sum += w * m.value;
    total += w;
    if (m.note && w > 0) causes.push(m.note.replace(ZERO_DIVISION_NOTE, ''));
  });
  if (total === 0) return undefinedMetric(`no case to weight ${field} by`);
  return causes.length ? defined(sum / total, `includes values ${ZERO_DIVISION_NOTE}${causes.join('; ')}`) : defined(sum / total);
}

export interface AveragedPrf {
  macro: PrecisionRecallF1;
  weighted: PrecisionRecallF1;
}

/** Macro (plain mean over every class) and support-weighted averages, as scikit-learn with labels = all classes. */
export function averagePrf(perClass: readonly PrecisionRecallF1[], supports: readonly number[]): AveragedPrf {
  const fields: (keyof PrecisionRecallF1)[] = ['precision', 'recall', 'f1'];
  const pick = (weights: readonly number[] | null) =>
    Object.fromEntries(fields.map((f) => [f, averageField(perClass, f, weights)])) as unknown as PrecisionRecallF1;
  return { macro: pick(null), weighted: pick(supports) };
}

/** Micro average: counts summed over classes (labels) first. */
export function microPrf(counts: readonly Pick<ClassCounts, 'tp' | 'fp' | 'fn'>[], ref = 'any label'): PrecisionRecallF1 {
  const sum = counts.reduce((a, c) => ({ tp: a.tp + c.tp, fp: a.fp + c.fp, fn: a.fn + c.fn }), { tp: 0, fp: 0, fn: 0 });
  return precisionRecallF1(sum, ref);
}

export function accuracy(cm: readonly (readonly number[])[]): Metric {
  let right = 0;
  let n = 0;
  cm.forEach((row, r) => {
    right += row[r];
    n += row.reduce((a, b) => a + b, 0);
  });
  return n === 0 ? undefinedMetric('no case') : defined(right / n);
}

/** Mean recall over the classes that have true cases (as scikit-learn); skipped classes are named. */
export function balancedAccuracy(cm: readonly (readonly number[])[], classes: readonly string[]): Metric {
  const recalls: number[] = [];
  const skipped: string[] = [];
  cm.forEach((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    if (support === 0) skipped.push(classes[c]);
    else recalls.push(row[c] / support);
  });
  if (recalls.length === 0) return undefinedMetric('no case');
  const mean = recalls.reduce((a, b) => a + b, 0) / recalls.length;
  if (skipped.length === 0) return defined(mean);
  return defined(
    mean,
    `mean recall over ${recalls.length} of ${cm.length} classes; skipped (no true case): ${skipped.map((s) => `"${s}"`).join(', ')}`,
  );
}

/**
 * Binary sensitivity (recall of the positive class) and specificity (recall of the
 * negative class). Undefined when the class they are measured on is absent.
 */
export function sensitivitySpecificity(
  cm: readonly (readonly number[])[],
  classes: readonly string[],
  positive = 1,
): { sensitivity: Metric; specificity: Metric } {
  if (cm.length !== 2) throw new Error(`internal: sensitivity/specificity need 2 classes, got ${cm.length}`);
  const negative = 1 - positive;
  const tp = cm[positive][positive];
  const fn = cm[positive][negative];
  const tn = cm[negative][negative];
  const fp = cm[negative][positive];
  return {
    sensitivity: tp + fn === 0 ? undefinedMetric(`positive ${classRef(classes[positive])} has no true case`) : defined(tp / (tp + fn)),
    specificity: tn + fp === 0 ? undefinedMetric(`negative ${classRef(classes[negative])} has no true case`) : defined(tn / (tn + fp)),
  };
}
