/**
 * Every metric against scikit-learn on fixed inputs. The inputs and sklearn's values come from
 * scripts/sklearn_reference.py (Debian python3-sklearn), stored in sklearn-reference.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  averagePrecision,
  binarize,
  cohenKappa,
  computeMetrics,
  confusionMatrix,
  defined,
  argmaxRows,
  gradeKappa,
  isDefined,
  Metric,
  multilabelMetrics,
  percentile,
  referableAuc,
  rocAuc,
  rocCurve,
  sensitivityAtSpecificity,
} from '../../src/eval';

interface SingleCase {
  name: string;
  task: 'binary' | 'multiclass';
  classes: string[];
  labels: number[];
  probs: number[][];
  ordinal_from?: number;
  expected: Record<string, any>;
}
interface MultiCase {
  name: string;
  task: 'multilabel';
  classes: string[];
  targets: number[][];
  probs: number[][];
  custom_thresholds: number[];
  expected: Record<string, any>;
}
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'sklearn-reference.json'), 'utf8')) as {
  sklearn_version: string;
  cases: (SingleCase | MultiCase)[];
  percentile: { values: number[]; q: number[]; expected: number[] };
};
const single = ref.cases.filter((c): c is SingleCase => c.task !== 'multilabel');
const multi = ref.cases.filter((c): c is MultiCase => c.task === 'multilabel');

const TOL = 1e-9;

/** The reference value itself must be there: a key missing from the JSON is a failure, not NaN (and NaN > tol is false). */
function referenceNumber(expected: unknown, what: string): number {
  if (typeof expected !== 'number' || !Number.isFinite(expected)) {
    throw new Error(`${what}: sklearn-reference.json has no number here (got ${JSON.stringify(expected)}); rerun scripts/sklearn_reference.py`);
  }
  return expected;
}

/** A metric equals sklearn's number, or is undefined (with a reason) where sklearn's is null. */
function expectMetric(m: Metric, expected: number | null, what: string): void {
  if (m === undefined) throw new Error(`${what}: the report has no such metric`);
  if (expected === null) {
    expect({ what, value: m.value }).toEqual({ what, value: null });
    expect((m as { reason: string }).reason).toMatch(/\S/);
  } else {
    expect({ what, defined: isDefined(m) }).toEqual({ what, defined: true });
    const diff = Math.abs((m.value as number) - referenceNumber(expected, what));
    if (!(diff <= TOL)) throw new Error(`${what}: got ${m.value}, sklearn ${expected} (diff ${diff})`);
  }
}

function expectNumbers(got: number[], expected: number[], what: string): void {
  if (!Array.isArray(expected)) throw new Error(`${what}: sklearn-reference.json has no list here`);
  expect(got.length).toBe(expected.length);
  got.forEach((g, i) => {
    if (!(Math.abs(g - referenceNumber(expected[i], `${what}[${i}]`)) <= TOL)) throw new Error(`${what}[${i}]: got ${g}, expected ${expected[i]}`);
  });
}

test('the reference file covers the cases the issue asks for', () => {
  expect(ref.sklearn_version).toMatch(/^1\./);
  const names = ref.cases.map((c) => c.name);
  expect(names).toEqual(
    expect.arrayContaining(['binary_ties', 'binary_one_class', 'multiclass4_absent', 'multiclass3_single_class', 'multilabel_constant_columns']),
  );
});

test('a reference key that is missing fails instead of comparing with NaN', () => {
  expect(() => expectMetric(defined(0.5), undefined as unknown as number, 'absent_key')).toThrow(/absent_key: sklearn-reference.json has no number/);
  expect(() => expectMetric(defined(0.5), 0.5, 'present_key')).not.toThrow();
  expect(() => expectMetric(defined(0.5), 0.6, 'wrong_value')).toThrow(/wrong_value: got 0.5/);
  expect(() => expectNumbers([0.5], [undefined as unknown as number], 'list')).toThrow(/list\[0\]/);
});

describe.each(single.map((c) => [c.name, c] as const))('single-label %s', (_name, c) => {
  const report = computeMetrics({
    task: c.task,
    classes: c.classes,
    labels: c.labels,
    probs: c.probs,
    ordinal: c.ordinal_from !== undefined ? { referableFrom: c.ordinal_from } : undefined,
    curves: true,
  });
  const e = c.expected;
  const h = report.headline;

  test('headline metrics', () => {
    for (const key of [
      'accuracy',
      'balanced_accuracy',
      'macro_auc',
      'macro_precision',
      'macro_recall',
      'macro_f1',
      'weighted_precision',
      'weighted_recall',
      'weighted_f1',
      'kappa_quadratic',
      'log_loss',
      'brier',
      'ece',
    ]) {
      expectMetric(h[key], e[key], key);
    }
    if (e.macro_auc_sklearn_ovr !== undefined) expectMetric(h.macro_auc, e.macro_auc_sklearn_ovr, 'macro_auc vs sklearn ovr');
    expect(Object.keys(h)[0]).toBe('macro_auc');
  });

  test('per-class AUC, precision, recall, F1, support and the confusion matrix', () => {
    report.perClass.forEach((r, k) => {
      expectMetric(r.auc, e.per_class_auc[k], `auc[${k}]`);
      expectMetric(r.precision, e.precision[k], `precision[${k}]`);
      expectMetric(r.recall, e.recall[k], `recall[${k}]`);
      expectMetric(r.f1, e.f1[k], `f1[${k}]`);
      expect(r.support).toBe(e.support[k]);
    });
    expect(report.confusionMatrix).toEqual(e.confusion_matrix);
    expect(report.calibration!.map((b) => b.count)).toEqual(e.calibration_bin_counts);
  });

  test('ROC curves through every distinct score', () => {
    report.curves!.roc.forEach((curve, k) => {
      const want = e.roc_curves[k];
      if (want === null) {
        expect(curve).toBeNull();
        return;
      }
      expectNumbers(curve!.fpr, want.fpr, `fpr[${k}]`);
      expectNumbers(curve!.tpr, want.tpr, `tpr[${k}]`);
      expect(curve!.thresholds.slice(1)).toEqual(want.thresholds);
    });
  });

  test('kappa with linear and no weights', () => {
    const cm = confusionMatrix(c.labels, argmaxRows(c.probs), c.classes.length);
    expectMetric(cohenKappa(cm, 'linear'), e.kappa_linear, 'kappa_linear');
    expectMetric(cohenKappa(cm, 'none'), e.kappa_unweighted, 'kappa_unweighted');
  });

  if (c.task === 'binary') {
    test('binary: AUC, sensitivity, specificity, sensitivity at specificity', () => {
      expectMetric(h.auc, e.auc, 'auc');
      expectMetric(h.sensitivity, e.sensitivity, 'sensitivity');
      expectMetric(h.specificity, e.specificity, 'specificity');
      expectMetric(h.sensitivity_at_specificity, e['sensitivity_at_specificity_0.85'], 'sens@spec0.85');
      const y = c.labels;
      const s = c.probs.map((p) => p[1]);
      expectMetric(sensitivityAtSpecificity(y, s, 0.9), e['sensitivity_at_specificity_0.9'], 'sens@spec0.9');
      expectMetric(rocAuc(y, s), e.auc, 'rocAuc');
    });
  }

  if (c.ordinal_from !== undefined) {
    test('ordinal: referable AUC and kappa on grades', () => {
      expectMetric(h.referable_auc, e[`referable_auc_${c.ordinal_from}`], 'referable_auc');
      expectMetric(referableAuc(c.labels, c.probs, 3), e.referable_auc_3, 'referable_auc_3');
      expectMetric(gradeKappa(c.labels, c.probs), e.kappa_quadratic, 'grade kappa');
    });
  }
});

describe.each(multi.map((c) => [c.name, c] as const))('multi-label %s', (_name, c) => {
  const report = computeMetrics({ task: 'multilabel', classes: c.classes, targets: c.targets, probs: c.probs });
  const e = c.expected;
  const h = report.headline;

  test('headline metrics', () => {
    expectMetric(h.macro_auc, e.macro_auc, 'macro_auc');
    expectMetric(h.micro_auc, e.micro_auc, 'micro_auc');
    expectMetric(h.macro_average_precision, e.macro_average_precision, 'macro_ap');
    expectMetric(h.subset_accuracy, e.subset_accuracy, 'subset_accuracy');
    expectMetric(h.hamming_loss, e.hamming_loss, 'hamming_loss');
    expectMetric(h.macro_f1, e.averages.macro.f1, 'macro_f1');
    expectMetric(h.micro_f1, e.averages.micro.f1, 'micro_f1');
    expectMetric(h.weighted_f1, e.averages.weighted.f1, 'weighted_f1');
    if (e.macro_auc_sklearn !== undefined) {
      expectMetric(h.macro_auc, e.macro_auc_sklearn, 'macro_auc vs sklearn');
      expectMetric(h.macro_average_precision, e.macro_average_precision_sklearn, 'macro_ap vs sklearn');
    }
  });

  test('averages (macro, micro, weighted precision/recall/F1)', () => {
    for (const avg of ['macro', 'micro', 'weighted'] as const) {
      const got = report.averages[avg]!;
      expectMetric(got.precision, e.averages[avg].precision, `${avg} precision`);
      expectMetric(got.recall, e.averages[avg].recall, `${avg} recall`);
      expectMetric(got.f1, e.averages[avg].f1, `${avg} f1`);
    }
  });

  test('per-label AUC, average precision, precision, recall, F1', () => {
    report.perClass.forEach((r, j) => {
      expectMetric(r.auc, e.per_label_auc[j], `auc[${j}]`);
      expectMetric(r.averagePrecision!, e.per_label_average_precision[j], `ap[${j}]`);
      expectMetric(r.precision, e.precision[j], `precision[${j}]`);
      expectMetric(r.recall, e.recall[j], `recall[${j}]`);
      expectMetric(r.f1, e.f1[j], `f1[${j}]`);
      expect(r.support).toBe(e.support[j]);
      const y = c.targets.map((t) => t[j]);
      const s = c.probs.map((p) => p[j]);
      expectMetric(averagePrecision(y, s), e.per_label_average_precision[j], `averagePrecision[${j}]`);
    });
  });

  test('per-label thresholds', () => {
    const m = multilabelMetrics(c.targets, c.probs, c.classes, c.custom_thresholds);
    m.perLabel.forEach((r, j) => expectMetric(r.f1, e.f1_custom_thresholds[j], `f1 custom[${j}]`));
    expectMetric(m.subsetAccuracy, e.subset_accuracy_custom_thresholds, 'subset accuracy custom');
    expect(binarize([[0.3, 0.5]], [0.3, 0.6])).toEqual([[1, 0]]);
  });
});

test('ROC curve of a single case set matches sklearn for the positive class', () => {
  const c = single.find((x) => x.name === 'binary_ties')!;
  const curve = rocCurve(
    c.labels,
    c.probs.map((p) => p[1]),
  )!;
  expectNumbers(curve.tpr, c.expected.roc_curves[1].tpr, 'tpr');
});

test('bootstrap percentile matches numpy.percentile (linear)', () => {
  const sorted = [...ref.percentile.values].sort((a, b) => a - b);
  ref.percentile.q.forEach((q, i) => {
    expect(Math.abs(percentile(sorted, q) - referenceNumber(ref.percentile.expected[i], `percentile[${i}]`))).toBeLessThan(TOL);
  });
});
