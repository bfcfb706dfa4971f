import type { Task } from '../data/types';
import type { MetricsReport } from './computeMetrics';

/** Human names of the headline metric keys, for text and LaTeX tables. */
const NAMES: Record<string, string> = {
  macro_auc: 'Macro AUC',
  auc: 'AUC',
  micro_auc: 'Micro AUC',
  macro_average_precision: 'Macro AP',
  accuracy: 'Accuracy',
  balanced_accuracy: 'Balanced accuracy',
  sensitivity: 'Sensitivity',
  specificity: 'Specificity',
  sensitivity_at_specificity: 'Sensitivity at specificity',
  macro_precision: 'Macro precision',
  macro_recall: 'Macro recall',
  macro_f1: 'Macro F1',
  micro_f1: 'Micro F1',
  weighted_precision: 'Weighted precision',
  weighted_recall: 'Weighted recall',
  weighted_f1: 'Weighted F1',
  kappa_quadratic: 'Quadratic kappa',
  referable_auc: 'Referable AUC',
  ece: 'ECE',
  brier: 'Brier score',
  log_loss: 'Log loss',
  subset_accuracy: 'Subset accuracy',
  hamming_loss: 'Hamming loss',
};

/** Headline metrics where lower is better (a trainer monitoring them minimises). */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['ece', 'brier', 'log_loss', 'hamming_loss']);

/** The display name of a headline key; settings the value depends on are written into it. */
export function metricName(key: string, report?: Pick<MetricsReport, 'settings'>): string {
  const base = NAMES[key] ?? key;
  if (key === 'sensitivity_at_specificity' && report?.settings.specificity !== undefined) {
    return `${base} ${report.settings.specificity}`;
  }
  if (key === 'referable_auc' && report?.settings.referableFrom !== undefined) {
    return `${base} (grade >= ${report.settings.referableFrom})`;
  }
  return base;
}

/** The few metrics a comparison table shows by default, per task. */
export const TABLE_METRICS: Record<Task, readonly string[]> = {
  binary: ['auc', 'sensitivity_at_specificity', 'accuracy', 'sensitivity', 'specificity', 'weighted_f1'],
  multiclass: ['macro_auc', 'accuracy', 'balanced_accuracy', 'weighted_precision', 'weighted_recall', 'weighted_f1', 'kappa_quadratic'],
  multilabel: ['macro_auc', 'micro_auc', 'macro_average_precision', 'macro_f1', 'subset_accuracy', 'hamming_loss'],
};
