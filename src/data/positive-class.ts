/**
 * Which class of a binary task is positive: sensitivity, the REFUGE metrics and the patient rule
 * ("positive when either eye's probability reaches 0.5") are computed for it, and the model's
 * single output is its probability. The rule, as the README states it: `data.positiveClass`
 * when given; otherwise, when exactly one of the two classes is named as the healthy one
 * (normal, healthy, negative, no_dr, non-glaucoma, ...), the other; otherwise the second
 * class in order. Folder names sort, so without this "normal" would be positive beside "cataract".
 */
import { UserError } from '../util/errors';
import { Dataset } from './types';

/** Class names that mean "no disease found". */
const HEALTHY = /^(normal|normals|healthy|negative|control|controls|no|none|no[-_ ]?\w+|non[-_ ]?\w+|0)$/i;

export interface PositiveClass {
  /** Index in the dataset's classes (after withPositiveClass: always 1). */
  index: number;
  name: string;
  /** Why this class, for the training log and metrics.json. */
  reason: string;
}

/** The positive class of a binary dataset (null for other tasks); `chosen` is data.positiveClass. */
export function positiveClassOf(dataset: Pick<Dataset, 'task' | 'classes'>, chosen: string | null | undefined): PositiveClass | null {
  if (dataset.task !== 'binary') {
    if (chosen) throw new UserError(`data.positiveClass: "${chosen}" is set, but the task is ${dataset.task}, not binary; remove the key`);
    return null;
  }
  const { classes } = dataset;
  if (chosen) {
    const index = classes.indexOf(chosen);
    if (index < 0) throw new UserError(`data.positiveClass: "${chosen}" is not a class of this dataset (classes: ${classes.join(', ')})`);
    return { index, name: chosen, reason: 'data.positiveClass' };
  }
  const healthy = classes.map((c) => HEALTHY.test(c.trim()));
  if (healthy[0] !== healthy[1]) {
    const index = healthy[0] ? 1 : 0;
    return { index, name: classes[index], reason: `"${classes[1 - index]}" names the healthy class` };
  }
  return { index: 1, name: classes[1], reason: 'the second class in order (set data.positiveClass to choose)' };
}

/** The dataset with its positive class second (labels swapped when needed), so output 1 is always the positive. */
export function withPositiveClass(dataset: Dataset, chosen: string | null | undefined): Dataset {
  const positive = positiveClassOf(dataset, chosen);
  if (!positive || positive.index === 1) return dataset;
  return {
    ...dataset,
    classes: [dataset.classes[1], dataset.classes[0]],
    samples: dataset.samples.map((s) => (s.label === undefined ? s : { ...s, label: 1 - s.label })),
  };
}
