import { COMPOSITE_PARTS, monitorDirection, monitorsForTask, monitorValue, MONITORS } from '../../src/eval/monitors';

const settings = (metrics: string[] | null, weights: number[] | null = null) => ({ train: { compositeMonitor: { metrics, weights } } });

describe('monitorValue', () => {
  test('reads a loss or a validation metric from the epoch record; null when undefined this epoch', () => {
    const record = { epoch: 3, train_loss: 0.4, val_loss: 0.5, val_macro_auc: 0.81, val_kappa_quadratic: null };
    expect(monitorValue(record, 'val_loss')).toBe(0.5);
    expect(monitorValue(record, 'train_loss')).toBe(0.4);
    expect(monitorValue(record, 'val_macro_auc')).toBe(0.81);
    expect(monitorValue(record, 'val_kappa_quadratic')).toBeNull();
    expect(monitorValue(record, 'val_accuracy')).toBeNull();
    // An older binary record with only the headline "auc".
    expect(monitorValue({ val_auc: 0.7 }, 'val_macro_auc')).toBe(0.7);
  });

  test("composite by default is RETFound's mean of macro F1, macro AUC and quadratic kappa", () => {
    // (0.6 + 0.9 + 0.75) / 3 = 0.75
    const multiclass = { val_loss: 0.3, val_accuracy: 0.8, val_macro_f1: 0.6, val_macro_auc: 0.9, val_kappa_quadratic: 0.75 };
    expect(monitorValue(multiclass, 'composite', settings(null))).toBeCloseTo(0.75, 15);
    expect(monitorValue(multiclass, 'composite')).toBeCloseTo(0.75, 15);
  });

  test('composite on a multi-label record, which has no kappa, is the mean of macro F1 and macro AUC', () => {
    // (0.5 + 0.8) / 2 = 0.65
    const multilabel = { val_loss: 0.2, val_macro_f1: 0.5, val_macro_auc: 0.8, val_subset_accuracy: 0.3, val_hamming_loss: 0.1 };
    expect(monitorValue(multilabel, 'composite', settings(null))).toBeCloseTo(0.65, 15);
  });

  test('composite with weights is sum(w v) / sum(w)', () => {
    // (2 * 0.9 + 1 * 0.6) / 3 = 0.8
    const record = { val_macro_auc: 0.9, val_macro_f1: 0.6, val_kappa_quadratic: 0.1 };
    expect(monitorValue(record, 'composite', settings(['val_macro_auc', 'val_macro_f1'], [2, 1]))).toBeCloseTo(0.8, 15);
    expect(monitorValue(record, 'composite', settings(['val_macro_auc', 'val_macro_f1']))).toBeCloseTo(0.75, 15);
  });

  test('composite is undefined when one of its terms is', () => {
    const record = { val_macro_f1: 0.6, val_macro_auc: 0.9, val_kappa_quadratic: null };
    expect(monitorValue(record, 'composite', settings(null))).toBeNull();
    expect(monitorValue({ val_macro_auc: 0.9 }, 'composite', settings(['val_macro_auc', 'val_macro_f1']))).toBeNull();
  });
});

describe('monitors from the metric registry', () => {
  test('every validation metric is a monitor, with its direction', () => {
    expect(MONITORS.slice(0, 3)).toEqual(['val_loss', 'train_loss', 'val_macro_auc']);
    expect(MONITORS).toContain('val_kappa_quadratic');
    expect(MONITORS).toContain('composite');
    expect(monitorDirection('val_loss')).toBe('min');
    expect(monitorDirection('val_brier')).toBe('min');
    expect(monitorDirection('val_sensitivity_at_specificity')).toBe('max');
    expect(COMPOSITE_PARTS).not.toContain('val_loss');
    expect(COMPOSITE_PARTS).not.toContain('val_log_loss');
    expect(COMPOSITE_PARTS).toContain('val_macro_f1');
  });

  test('per task: multi-label has no accuracy or kappa; the referable AUC only with graded classes', () => {
    const multilabel = monitorsForTask('multilabel', { referable: false });
    expect(multilabel).toEqual(expect.arrayContaining(['val_loss', 'val_macro_auc', 'val_micro_auc', 'val_subset_accuracy', 'composite']));
    expect(multilabel).not.toContain('val_accuracy');
    expect(multilabel).not.toContain('val_kappa_quadratic');
    expect(monitorsForTask('binary', { referable: false })).toContain('val_sensitivity_at_specificity');
    expect(monitorsForTask('multiclass', { referable: false })).not.toContain('val_sensitivity_at_specificity');
    expect(monitorsForTask('multiclass', { referable: false })).not.toContain('val_referable_auc');
    expect(monitorsForTask('multiclass', { referable: true })).toContain('val_referable_auc');
  });
});
