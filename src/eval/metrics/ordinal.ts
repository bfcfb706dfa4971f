import { userAssert } from '../../util/errors';
import { Metric } from '../metric';
import { argmaxRows, confusionMatrix } from './classification';
import { cohenKappa } from './kappa';
import { rocAuc } from './roc';

/**
 * Ordinal grades (diabetic retinopathy 0-4): class index = grade, so classes must be listed
 * in grade order.
 */

/** Quadratic weighted kappa between true grades and predicted grades (argmax), over all grades. */
export function gradeKappa(labels: readonly number[], probs: readonly (readonly number[])[]): Metric {
  return cohenKappa(confusionMatrix(labels, argmaxRows(probs), probs[0]?.length ?? 0), 'quadratic');
}

/**
 * AUC of "referable" (grade >= referableFrom; 2 = moderate DR or worse on the 5-grade
 * scale), scored by the summed probability of the referable grades.
 */
export function referableAuc(labels: readonly number[], probs: readonly (readonly number[])[], referableFrom = 2): Metric {
  const nGrades = probs[0]?.length ?? 0;
  userAssert(
    Number.isInteger(referableFrom) && referableFrom >= 1 && referableFrom < nGrades,
    () => `referableFrom must be a grade between 1 and ${nGrades - 1} (the ${nGrades} classes are grades 0..${nGrades - 1}), got ${referableFrom}`,
  );
  const y = labels.map((g) => (g >= referableFrom ? 1 : 0));
  const score = probs.map((row) => {
    let s = 0;
    for (let c = referableFrom; c < row.length; c++) s += row[c];
    return s;
  });
  return rocAuc(y, score, `referable (grade >= ${referableFrom})`);
}
