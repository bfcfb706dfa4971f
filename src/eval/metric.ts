/**
 * The one value type every metric returns. A metric either has a number, possibly with a
 * note that says how it was obtained (zero division set to 0, classes skipped in a mean),
 * or has no number and says why (a class absent, so its AUC means nothing). Never NaN.
 * JSON-able as is.
 */
export type Metric = DefinedMetric | UndefinedMetric;

export interface DefinedMetric {
  value: number;
  note?: string;
}

export interface UndefinedMetric {
  value: null;
  reason: string;
}

export function defined(value: number, note?: string): DefinedMetric {
  if (!Number.isFinite(value)) throw new Error(`internal: metric value ${value} is not finite`);
  return note === undefined ? { value } : { value, note };
}

export function undefinedMetric(reason: string): UndefinedMetric {
  return { value: null, reason };
}

export function isDefined(m: Metric): m is DefinedMetric {
  return m.value !== null;
}

/** The explanation a metric carries, if any (note or reason). */
export function explanation(m: Metric): string | undefined {
  return isDefined(m) ? m.note : m.reason;
}

/**
 * Mean of the defined metrics among `items` (one per class or label), e.g. macro AUC. Undefined ones are
 * skipped and the note says which and why; if none is defined the mean is undefined.
 */
export function meanOfDefined(items: readonly Metric[], unit: 'class' | 'label', what: string): Metric {
  const units = unit === 'class' ? 'classes' : 'labels';
  const values: number[] = [];
  const skipped: string[] = [];
  for (const m of items) {
    if (isDefined(m)) values.push(m.value);
    else skipped.push(m.reason);
  }
  if (values.length === 0) {
    return undefinedMetric(`no ${unit} has a defined ${what} (${skipped.join('; ')})`);
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (skipped.length === 0) return defined(mean);
  return defined(mean, `mean over ${values.length} of ${items.length} ${units}; skipped: ${skipped.join('; ')}`);
}

/** Quotes a class name for messages: class "glaucoma". */
export function classRef(name: string, kind: 'class' | 'label' = 'class'): string {
  return `${kind} "${name}"`;
}
