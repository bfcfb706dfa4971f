import type { Task } from '../data/types';
import { userAssert } from '../util/errors';
import { bootstrapCI, BootstrapOptions, BootstrapResult } from './bootstrap';
import { classRef, meanOfDefined, Metric } from './metric';
import { CalibrationBin, calibrationBins, expectedCalibrationError } from './metrics/calibration';
import {
  accuracy,
  argmaxRows,
  averagePrf,
  balancedAccuracy,
  classCounts,
  confusionMatrix,
  precisionRecallF1,
  PrecisionRecallF1,
  sensitivitySpecificity,
} from './metrics/classification';
import { cohenKappa } from './metrics/kappa';
import { multilabelMetrics } from './metrics/multilabel';
import { referableAuc } from './metrics/ordinal';
import { brierScore, LOG_LOSS_EPS, logLoss } from './metrics/probability-scores';
import { RocCurve, rocAucFromCounts, rocCurveFromCounts, sensitivityAtSpecificityFromCounts, thresholdCounts } from './metrics/roc';

/** Binary or multiclass predictions: one class per case. */
export interface SingleLabelInput {
  task: 'binary' | 'multiclass';
  /** Class names in probability-column order; binary: index 1 is the positive class. */
  classes: readonly string[];
  /** True class index per case. */
  labels: readonly number[];
  /** n x C probabilities (rows sum to 1). */
  probs: readonly (readonly number[])[];
  /** Binary: the specificity at which sensitivity is read off the ROC curve (default 0.85, REFUGE). */
  specificity?: number;
  /** Classes are ordered grades (DR 0-4): adds the referable AUC (grade >= referableFrom). */
  ordinal?: { referableFrom: number };
  /** Confidence bins for the expected calibration error (default 15). */
  calibrationBins?: number;
  /** Include the ROC curve points per class (for plots). */
  curves?: boolean;
}

/** Multi-label predictions: 0/1 truth and an independent probability per label. */
export interface MultilabelInput {
  task: 'multilabel';
  classes: readonly string[];
  /** n x L truth, 0 or 1. */
  targets: readonly (readonly number[])[];
  /** n x L probabilities. */
  probs: readonly (readonly number[])[];
  /** Decision thresholds, p >= threshold: one for all labels or one per label (default 0.5). */
  thresholds?: number | readonly number[];
  curves?: boolean;
}

export type MetricsInput = SingleLabelInput | MultilabelInput;

/** One row of the per-class table. */
export interface ClassReport extends PrecisionRecallF1 {
  class: string;
  /** True cases of the class (positives, for a label). */
  support: number;
  /** One-vs-rest ROC-AUC of the class's probability. */
  auc: Metric;
  /** Multi-label only. */
  averagePrecision?: Metric;
  /** Multi-label only: the decision threshold used. */
  threshold?: number;
}

export interface MetricsReport {
  task: Task;
  classes: string[];
  /** Number of cases. */
  n: number;
  /** Headline metrics, macro AUC first; keys are stable snake_case names (the metric registry, metric-registry.ts). */
  headline: Record<string, Metric>;
  perClass: ClassReport[];
  averages: { macro: PrecisionRecallF1; weighted: PrecisionRecallF1; micro?: PrecisionRecallF1 };
  /** Binary and multiclass: rows true class, columns predicted class (argmax). */
  confusionMatrix?: number[][];
  /** Binary and multiclass: the reliability bins behind the ECE. */
  calibration?: CalibrationBin[];
  /** Settings the numbers depend on. */
  settings: {
    specificity?: number;
    calibrationBins?: number;
    thresholds?: number[];
    referableFrom?: number;
  };
  /** How each metric is defined here, in words, for whoever quotes the numbers. */
  conventions: string[];
  curves?: { roc: (RocCurve | null)[] };
  /** Bootstrap confidence intervals of the headline metrics, when asked for. */
  ci?: BootstrapResult;
}

function validate(input: MetricsInput): void {
  const { classes, probs } = input;
  const k = classes.length;
  const n = probs.length;
  userAssert(n > 0, 'no cases to compute metrics on');
  if (input.task === 'binary') userAssert(k === 2, `a binary task needs 2 classes, got ${k} (${classes.join(', ')})`);
  if (input.task === 'multiclass') userAssert(k >= 2, `a multiclass task needs at least 2 classes, got ${k}`);
  if (input.task === 'multilabel') userAssert(k >= 1, 'a multi-label task needs at least 1 label');
  userAssert(new Set(classes).size === k, `class names repeat: ${classes.join(', ')}`);
  probs.forEach((row, i) => {
    userAssert(row.length === k, () => `probs[${i}] has ${row.length} values for ${k} classes`);
    row.forEach((p, c) => userAssert(Number.isFinite(p) && p >= 0 && p <= 1, () => `probs[${i}][${c}] = ${p} is not a probability in [0, 1]`));
  });
  if (input.task === 'multilabel') {
    userAssert(input.targets.length === n, `${input.targets.length} target rows for ${n} probability rows`);
    input.targets.forEach((row, i) => {
      userAssert(row.length === k, () => `targets[${i}] has ${row.length} values for ${k} labels`);
      row.forEach((t, c) => userAssert(t === 0 || t === 1, () => `targets[${i}][${c}] = ${t} is not 0 or 1`));
    });
    const t = input.thresholds;
    if (Array.isArray(t)) userAssert(t.length === k, `${t.length} thresholds for ${k} labels`);
  } else {
    userAssert(input.labels.length === n, `${input.labels.length} labels for ${n} probability rows`);
    input.labels.forEach((l, i) =>
      userAssert(Number.isInteger(l) && l >= 0 && l < k, () => `labels[${i}] = ${l} is not a class index in 0..${k - 1}`),
    );
  }
}

function singleLabelReport(input: SingleLabelInput): MetricsReport {
  const { classes, labels, probs } = input;
  const k = classes.length;
  const specificity = input.specificity ?? 0.85;
  const nBins = input.calibrationBins ?? 15;
  const predicted = argmaxRows(probs);
  const cm = confusionMatrix(labels, predicted, k);
  const counts = classCounts(cm);
  const curves: (RocCurve | null)[] = [];
  const rankCounts = classes.map((_, c) =>
    thresholdCounts(
      labels.map((l) => (l === c ? 1 : 0)),
      probs.map((row) => row[c]),
    ),
  );
  const perClass: ClassReport[] = classes.map((name, c) => {
    if (input.curves) curves.push(rocCurveFromCounts(rankCounts[c]));
    return {
      class: name,
      support: counts[c].support,
      auc: rocAucFromCounts(rankCounts[c], classRef(name)),
      ...precisionRecallF1(counts[c], classRef(name)),
    };
  });
  const averages = averagePrf(
    perClass,
    counts.map((c) => c.support),
  );
  const bins = calibrationBins(labels, probs, nBins);

  const headline: Record<string, Metric> = {
    macro_auc: meanOfDefined(
      perClass.map((r) => r.auc),
      'class',
      'AUC',
    ),
  };
  if (input.task === 'binary') {
    const positive = classRef(classes[1]);
    headline.auc = rocAucFromCounts(rankCounts[1], `positive ${positive}`);
  }
  headline.accuracy = accuracy(cm);
  headline.balanced_accuracy = balancedAccuracy(cm, classes);
  if (input.task === 'binary') {
    const { sensitivity, specificity: spec } = sensitivitySpecificity(cm, classes, 1);
    headline.sensitivity = sensitivity;
    headline.specificity = spec;
    headline.sensitivity_at_specificity = sensitivityAtSpecificityFromCounts(rankCounts[1], specificity, `positive ${classRef(classes[1])}`);
  }
  headline.macro_precision = averages.macro.precision;
  headline.macro_recall = averages.macro.recall;
  headline.macro_f1 = averages.macro.f1;
  headline.weighted_precision = averages.weighted.precision;
  headline.weighted_recall = averages.weighted.recall;
  headline.weighted_f1 = averages.weighted.f1;
  headline.kappa_quadratic = cohenKappa(cm, 'quadratic');
  if (input.ordinal) headline.referable_auc = referableAuc(labels, probs, input.ordinal.referableFrom);
  headline.ece = expectedCalibrationError(bins);
  headline.brier = brierScore(labels, probs, 1);
  headline.log_loss = logLoss(labels, probs);

  const conventions = [
    'predicted class = argmax of the probabilities (the first class on ties)',
    'ROC-AUC: exact (trapezoid through every distinct score; tied scores share rank), one-vs-rest per class; macro = mean over the classes whose AUC is defined',
    `precision, recall, F1: zero division gives 0 (scikit-learn zero_division=0); macro = plain mean over all ${k} classes; weighted = weighted by support`,
    'balanced accuracy: mean recall over the classes with at least one true case',
    'kappa: quadratic weights (i - j)^2 over the full class list',
    `ECE: ${nBins} equal-width bins of the top-class confidence, bins (lower, upper], sum of (|B|/n)|confidence - accuracy|`,
    input.task === 'binary'
      ? `Brier: mean (p("${classes[1]}") - y)^2 on the positive class (scikit-learn brier_score_loss)`
      : 'Brier: mean over cases of the sum over classes of (p_c - [y = c])^2',
    `log loss: natural log; probabilities clipped to [${LOG_LOSS_EPS.toExponential(3)}, 1 - that] and rows renormalised (scikit-learn 1.2 log_loss)`,
  ];
  if (input.task === 'binary') {
    conventions.push(`positive class = "${classes[1]}" (index 1); sensitivity at specificity ${specificity}: linear interpolation on the ROC curve`);
  }
  if (input.ordinal) {
    conventions.push(
      `classes are ordered grades; referable = grade >= ${input.ordinal.referableFrom} ("${classes[input.ordinal.referableFrom]}"), scored by the summed probability of the referable grades`,
    );
  }

  const report: MetricsReport = {
    task: input.task,
    classes: [...classes],
    n: labels.length,
    headline,
    perClass,
    averages,
    confusionMatrix: cm,
    calibration: bins,
    settings: {
      ...(input.task === 'binary' ? { specificity } : {}),
      calibrationBins: nBins,
      ...(input.ordinal ? { referableFrom: input.ordinal.referableFrom } : {}),
    },
    conventions,
  };
  if (input.curves) report.curves = { roc: curves };
  return report;
}

function resolveThresholds(t: number | readonly number[] | undefined, k: number): number[] {
  if (t === undefined) return new Array<number>(k).fill(0.5);
  if (typeof t === 'number') return new Array<number>(k).fill(t);
  return [...t];
}

function multilabelReport(input: MultilabelInput): MetricsReport {
  const thresholds = resolveThresholds(input.thresholds, input.classes.length);
  const m = multilabelMetrics(input.targets, input.probs, input.classes, thresholds, { curves: input.curves });
  const headline: Record<string, Metric> = {
    macro_auc: m.macroAuc,
    micro_auc: m.microAuc,
    macro_average_precision: m.macroAveragePrecision,
    macro_precision: m.averages.macro.precision,
    macro_recall: m.averages.macro.recall,
    macro_f1: m.averages.macro.f1,
    micro_f1: m.averages.micro.f1,
    weighted_precision: m.averages.weighted.precision,
    weighted_recall: m.averages.weighted.recall,
    weighted_f1: m.averages.weighted.f1,
    subset_accuracy: m.subsetAccuracy,
    hamming_loss: m.hammingLoss,
  };
  const report: MetricsReport = {
    task: 'multilabel',
    classes: [...input.classes],
    n: input.targets.length,
    headline,
    perClass: m.perLabel.map((r) => ({
      class: r.label,
      support: r.support,
      auc: r.auc,
      averagePrecision: r.averagePrecision,
      precision: r.precision,
      recall: r.recall,
      f1: r.f1,
      threshold: r.threshold,
    })),
    averages: m.averages,
    settings: { thresholds },
    conventions: [
      "each label is scored on its own: decision = probability >= the label's threshold",
      'ROC-AUC: exact (tied scores share rank) per label; macro = mean over the labels whose AUC is defined; micro = AUC of all (case, label) pairs pooled',
      "average precision: scikit-learn's definition, sum of (R_k - R_(k-1)) P_k over thresholds, no interpolation; macro = mean over labels with a positive case",
      `precision, recall, F1: zero division gives 0 (scikit-learn zero_division=0); macro = plain mean over all ${input.classes.length} labels; weighted = by positives; micro = counts pooled`,
      'subset accuracy: fraction of cases with every label right; Hamming loss: fraction of wrong (case, label) decisions',
    ],
  };
  if (m.curves) report.curves = { roc: m.curves };
  return report;
}

function reportOf(input: MetricsInput): MetricsReport {
  return input.task === 'multilabel' ? multilabelReport(input) : singleLabelReport(input);
}

/**
 * The whole metric set for a task, from plain arrays: headline metrics (macro AUC first),
 * per-class table, averages, confusion matrix and calibration bins. JSON-able. Metrics that
 * have no meaning on this data are reported with value null and the reason.
 */
export function computeMetrics(input: MetricsInput, options: { bootstrap?: BootstrapOptions } = {}): MetricsReport {
  validate(input);
  const report = reportOf(input);
  if (options.bootstrap) report.ci = bootstrapMetrics(input, options.bootstrap);
  return report;
}

/** The same input restricted to `rows` (indices, repeats allowed); curves off. */
function subsetInput(input: MetricsInput, rows: readonly number[]): MetricsInput {
  const probs = rows.map((r) => input.probs[r]);
  if (input.task === 'multilabel') {
    return { ...input, targets: rows.map((r) => input.targets[r]), probs, curves: false };
  }
  return { ...input, labels: rows.map((r) => input.labels[r]), probs, curves: false };
}

/**
 * A resample is kept only when every class present in the data is present in it
 * (multi-label: every label with both values keeps both), so that no per-class metric
 * becomes undefined through resampling alone.
 */
function classPresence(input: MetricsInput): (rows: number[]) => boolean {
  if (input.task === 'multilabel') {
    const k = input.classes.length;
    const varying: number[] = [];
    for (let j = 0; j < k; j++) {
      const first = input.targets[0][j];
      if (input.targets.some((row) => row[j] !== first)) varying.push(j);
    }
    return (rows) =>
      varying.every((j) => {
        const first = input.targets[rows[0]][j];
        return rows.some((r) => input.targets[r][j] !== first);
      });
  }
  const present = [...new Set(input.labels)];
  const k = input.classes.length;
  return (rows) => {
    const seen = new Uint8Array(k);
    for (const r of rows) seen[input.labels[r]] = 1;
    return present.every((c) => seen[c] === 1);
  };
}

/** Bootstrap confidence intervals of every headline metric of `input`. */
export function bootstrapMetrics(input: MetricsInput, options: BootstrapOptions = {}): BootstrapResult {
  validate(input);
  return bootstrapCI((rows) => reportOf(subsetInput(input, rows)).headline, input.probs.length, { ...options, accept: classPresence(input) });
}
