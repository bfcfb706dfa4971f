import type { Task } from '../data/types';
import type { Metric } from './metric';
import type { MetricsReport } from './compute-metrics';

/** Whether a larger or a smaller value of a metric is better. */
export type Direction = 'max' | 'min';

/** One headline metric: its stable key (metrics.json, metrics.jsonl as val_<key>), label, direction and tasks. */
export interface MetricInfo {
  key: string;
  /** Human name for text and LaTeX tables. */
  label: string;
  direction: Direction;
  /** The tasks whose reports have it. */
  tasks: readonly Task[];
  /** A setting it needs beyond the task (the referable AUC needs graded classes). */
  requires?: 'referableFrom';
}

const ALL: readonly Task[] = ['binary', 'multiclass', 'multilabel'];
const SINGLE: readonly Task[] = ['binary', 'multiclass'];
const BINARY: readonly Task[] = ['binary'];
const MULTILABEL: readonly Task[] = ['multilabel'];

/**
 * Every headline metric computeMetrics reports, in report order. Config validation (monitors), mode
 * resolution, reports and plots read this table; a new metric is a line here and its computation.
 */
export const METRICS: readonly MetricInfo[] = [
  { key: 'macro_auc', label: 'Macro AUC', direction: 'max', tasks: ALL },
  { key: 'auc', label: 'AUC', direction: 'max', tasks: BINARY },
  { key: 'micro_auc', label: 'Micro AUC', direction: 'max', tasks: MULTILABEL },
  { key: 'macro_average_precision', label: 'Macro AP', direction: 'max', tasks: MULTILABEL },
  { key: 'accuracy', label: 'Accuracy', direction: 'max', tasks: SINGLE },
  { key: 'balanced_accuracy', label: 'Balanced accuracy', direction: 'max', tasks: SINGLE },
  { key: 'sensitivity', label: 'Sensitivity', direction: 'max', tasks: BINARY },
  { key: 'specificity', label: 'Specificity', direction: 'max', tasks: BINARY },
  { key: 'sensitivity_at_specificity', label: 'Sensitivity at specificity', direction: 'max', tasks: BINARY },
  { key: 'macro_precision', label: 'Macro precision', direction: 'max', tasks: ALL },
  { key: 'macro_recall', label: 'Macro recall', direction: 'max', tasks: ALL },
  { key: 'macro_f1', label: 'Macro F1', direction: 'max', tasks: ALL },
  { key: 'micro_f1', label: 'Micro F1', direction: 'max', tasks: MULTILABEL },
  { key: 'weighted_precision', label: 'Weighted precision', direction: 'max', tasks: ALL },
  { key: 'weighted_recall', label: 'Weighted recall', direction: 'max', tasks: ALL },
  { key: 'weighted_f1', label: 'Weighted F1', direction: 'max', tasks: ALL },
  { key: 'kappa_quadratic', label: 'Quadratic kappa', direction: 'max', tasks: SINGLE },
  { key: 'referable_auc', label: 'Referable AUC', direction: 'max', tasks: SINGLE, requires: 'referableFrom' },
  { key: 'ece', label: 'ECE', direction: 'min', tasks: SINGLE },
  { key: 'brier', label: 'Brier score', direction: 'min', tasks: SINGLE },
  { key: 'log_loss', label: 'Log loss', direction: 'min', tasks: SINGLE },
  { key: 'subset_accuracy', label: 'Subset accuracy', direction: 'max', tasks: MULTILABEL },
  { key: 'hamming_loss', label: 'Hamming loss', direction: 'min', tasks: MULTILABEL },
];

const BY_KEY = new Map(METRICS.map((m) => [m.key, m]));

/** The registry entry of a headline key, or undefined for a key it does not know. */
export function metricInfo(key: string): MetricInfo | undefined {
  return BY_KEY.get(key);
}

/** The headline keys a task's report has (those needing a setting included). */
export function metricsForTask(task: Task): MetricInfo[] {
  return METRICS.filter((m) => m.tasks.includes(task));
}

/** A metric's value in a report: its headline entry, or undefined when the report has none. */
export function readMetric(report: Pick<MetricsReport, 'headline'>, key: string): Metric | undefined {
  return report.headline[key];
}

/** Headline metrics where lower is better (a trainer monitoring them minimises). */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(METRICS.filter((m) => m.direction === 'min').map((m) => m.key));

/** The display name of a headline key; settings the value depends on are written into it. */
export function metricName(key: string, report?: Pick<MetricsReport, 'settings'>): string {
  const base = BY_KEY.get(key)?.label ?? key;
  if (key === 'sensitivity_at_specificity' && report?.settings.specificity !== undefined) {
    return `${base} ${report.settings.specificity}`;
  }
  if (key === 'referable_auc' && report?.settings.referableFrom !== undefined) {
    return `${base} (grade >= ${report.settings.referableFrom})`;
  }
  return base;
}

/** The few metrics a comparison table shows by default, per task (a view of the table above, checked by its test). */
export const TABLE_METRICS: Record<Task, readonly string[]> = {
  binary: ['auc', 'sensitivity_at_specificity', 'accuracy', 'sensitivity', 'specificity', 'weighted_f1'],
  multiclass: ['macro_auc', 'accuracy', 'balanced_accuracy', 'weighted_precision', 'weighted_recall', 'weighted_f1', 'kappa_quadratic'],
  multilabel: ['macro_auc', 'micro_auc', 'macro_average_precision', 'macro_f1', 'subset_accuracy', 'hamming_loss'],
};

/** The one-line summary under a text report's per-class table: the first of these each report has. */
export const SUMMARY_METRICS: readonly string[] = ['macro_auc', 'accuracy', 'micro_auc', 'macro_f1', 'weighted_f1', 'kappa_quadratic'];
