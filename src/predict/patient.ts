import { Task } from '../data/types';
import { ImagePrediction } from './predict';

/** The seed's referral rule: refer when the model cannot tell the two eyes apart. */
export interface ReferralRule {
  /** Refer when the eyes' probabilities differ by less than this for every class (0 turns the rule off). */
  minEyeDifference: number;
}

export const DEFAULT_REFERRAL_RULE: ReferralRule = { minEyeDifference: 0.1 };

/**
 * How one patient-level result comes from two eyes:
 * - 'worse-eye': ordered grades (multiclass with eval.referableFrom set): the higher of the two eyes' predicted grades.
 * - 'max-probability': binary, and multiclass without an order: the class with the highest probability in either eye.
 * - 'per-label-max': multi-label: each label's higher probability of the two eyes, against the label's threshold.
 */
export type PatientLevelRule = 'worse-eye' | 'max-probability' | 'per-label-max';

export interface PatientContext {
  task: Task;
  classes: string[];
  /** Class index from which grades are referable (eval.referableFrom); set means the classes are ordered grades. */
  referableFrom: number | null;
  /** Multi-label thresholds per label. */
  thresholds: number[] | null;
  rule: ReferralRule;
}

export interface PatientResult {
  patient: string;
  right: ImagePrediction;
  left: ImagePrediction;
  /** Patient-level result: the class (or, for multi-label, the top label), its probability, and which eye it comes from. */
  result: { index: number; name: string; probability: number; eye: 'right' | 'left' | 'both' };
  /** Multi-label: the labels present in either eye (each eye's probability against the label's threshold). */
  positive?: string[];
  /** Per class, the higher of the two eyes' probabilities. */
  probabilities: number[];
  levelRule: PatientLevelRule;
  /** How the patient-level result was chosen, in plain words. */
  levelText: string;
  /** The largest difference between the eyes' probabilities over the classes, and the class where it is. */
  eyeDifference: { value: number; className: string };
  referral: {
    /** True: the rule asks the user to see an ophthalmologist. */
    refer: boolean;
    minEyeDifference: number;
    /** The rule, in plain words. */
    rule: string;
    /** What it found for this patient, in plain words. */
    reason: string;
    /** The verdict and the reason in one sentence ("Please see an ophthalmologist: ..."). */
    text: string;
  };
  /** With ordered grades: whether the patient-level grade is at or above eval.referableFrom. */
  referableGrade?: { referable: boolean; from: string; text: string };
}

const fmt = (v: number): string => v.toFixed(3);
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** The rule itself, in the words every output repeats. */
export function referralRuleText(rule: ReferralRule): string {
  if (rule.minEyeDifference <= 0) return 'The eye-difference referral rule is off (minEyeDifference 0).';
  return (
    `Referral rule: the eyes' results are their class probabilities; when no class's probability differs between ` +
    `the right and the left eye by ${rule.minEyeDifference} or more, the model could not tell the eyes apart and ` +
    `the patient is told to see an ophthalmologist.`
  );
}

/** Which patient-level rule a task uses. */
export function patientLevelRule(task: Task, referableFrom: number | null): PatientLevelRule {
  if (task === 'multilabel') return 'per-label-max';
  if (task === 'multiclass' && referableFrom !== null) return 'worse-eye';
  return 'max-probability';
}

/** The per-patient result of a right and a left eye: the patient-level result and the referral rule's verdict. */
export function patientResult(patient: string, right: ImagePrediction, left: ImagePrediction, ctx: PatientContext): PatientResult {
  const { classes } = ctx;
  const pr = right.probabilities;
  const pl = left.probabilities;
  if (pr.length !== classes.length || pl.length !== classes.length)
    throw new Error(`patient ${patient}: probabilities do not match the ${classes.length} classes`);
  const max = classes.map((_, c) => Math.max(pr[c], pl[c]));
  const levelRule = patientLevelRule(ctx.task, ctx.referableFrom);

  let result: PatientResult['result'];
  let levelText: string;
  let positive: string[] | undefined;
  if (levelRule === 'worse-eye') {
    // The worse eye: the higher predicted grade; on a tie, the eye more confident in that grade.
    const worse =
      right.top.index > left.top.index || (right.top.index === left.top.index && pr[right.top.index] >= pl[left.top.index]) ? 'right' : 'left';
    const eye = worse === 'right' ? right : left;
    result = { index: eye.top.index, name: eye.top.name, probability: eye.top.probability, eye: right.top.index === left.top.index ? 'both' : worse };
    levelText = `Patient grade = the worse eye's grade (the classes are ordered grades: ${classes.join(' < ')}).`;
  } else if (levelRule === 'max-probability') {
    let best = 0;
    for (let c = 1; c < classes.length; c++) if (max[c] > max[best]) best = c;
    if (ctx.task === 'binary') {
      // Binary: the patient is positive when either eye's probability of the positive class reaches 0.5.
      best = max[1] >= 0.5 ? 1 : 0;
      // The deciding eye is the one more likely positive, whichever way the decision goes.
      const eye = pr[1] >= pl[1] ? 'right' : 'left';
      result = { index: best, name: classes[best], probability: best === 1 ? max[1] : Math.min(pr[0], pl[0]), eye };
      levelText = `Patient result = '${classes[1]}' when either eye's probability of '${classes[1]}' is 0.5 or more (the higher of the two eyes' probabilities, max-probability rule).`;
    } else {
      result = { index: best, name: classes[best], probability: max[best], eye: pr[best] >= pl[best] ? 'right' : 'left' };
      levelText = 'Patient result = the class with the highest probability in either eye (max-probability rule; the classes are not ordered grades).';
    }
  } else {
    const thresholds = ctx.thresholds ?? classes.map(() => 0.5);
    positive = classes.filter((_, c) => max[c] >= thresholds[c]);
    let best = 0;
    for (let c = 1; c < classes.length; c++) if (max[c] > max[best]) best = c;
    result = { index: best, name: classes[best], probability: max[best], eye: pr[best] >= pl[best] ? 'right' : 'left' };
    levelText = "Patient labels = each label present in either eye (the higher of the two eyes' probabilities against the label's threshold).";
  }

  let diff = -1;
  let diffClass = 0;
  classes.forEach((_, c) => {
    const d = Math.abs(pr[c] - pl[c]);
    if (d > diff) {
      diff = d;
      diffClass = c;
    }
  });
  const min = ctx.rule.minEyeDifference;
  const refer = min > 0 && diff < min;
  const reason =
    min <= 0
      ? 'The eye-difference rule is off.'
      : refer
        ? `The two eyes' probabilities differ by at most ${fmt(diff)} (for '${classes[diffClass]}'), less than ${min}, ` +
          'so the model could not tell the eyes apart and could not extract enough information from these photographs.'
        : `The eyes' probabilities differ by ${fmt(diff)} for '${classes[diffClass]}', at least ${min}.`;
  const text =
    min <= 0
      ? reason
      : refer
        ? `Please see an ophthalmologist: ${lowerFirst(reason)}`
        : `No referral from the eye-difference rule: ${lowerFirst(reason)}`;

  const out: PatientResult = {
    patient,
    right,
    left,
    result,
    probabilities: max,
    levelRule,
    levelText,
    eyeDifference: { value: diff, className: classes[diffClass] },
    referral: { refer, minEyeDifference: min, rule: referralRuleText(ctx.rule), reason, text },
  };
  if (positive) out.positive = positive;
  if (levelRule === 'worse-eye' && ctx.referableFrom !== null) {
    const from = classes[ctx.referableFrom];
    const referable = result.index >= ctx.referableFrom;
    out.referableGrade = {
      referable,
      from,
      text: referable
        ? `The patient grade '${result.name}' is referable (grades from '${from}' on are referable, eval.referableFrom).`
        : `The patient grade '${result.name}' is below the referable grades (from '${from}' on).`,
    };
  }
  return out;
}
