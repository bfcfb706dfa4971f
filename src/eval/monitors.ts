import type { Task } from '../data/types';
import { Direction, METRICS, MetricInfo } from './metric-registry';

/**
 * What a scheduler, early stopping or checkpointing can monitor: an epoch record's losses, its
 * validation headline metrics (val_<key>, from the metric registry), or a weighted mean of some of
 * those ("composite", RETFound's model selection).
 */
export interface MonitorInfo {
  name: string;
  direction: Direction;
  tasks: readonly Task[];
  requires?: MetricInfo['requires'];
}

export const COMPOSITE = 'composite';

const ALL_TASKS: readonly Task[] = ['binary', 'multiclass', 'multilabel'];

const INFOS: readonly MonitorInfo[] = [
  { name: 'val_loss', direction: 'min', tasks: ALL_TASKS },
  { name: 'train_loss', direction: 'min', tasks: ALL_TASKS },
  ...METRICS.map((m) => ({ name: `val_${m.key}`, direction: m.direction, tasks: m.tasks, ...(m.requires && { requires: m.requires }) })),
  { name: COMPOSITE, direction: 'max', tasks: ALL_TASKS },
];
const BY_NAME = new Map(INFOS.map((m) => [m.name, m]));

/** Every monitor name, losses first. */
export const MONITORS = INFOS.map((m) => m.name) as [string, ...string[]];

/** Monitors a composite may average: the validation metrics where higher is better. */
export const COMPOSITE_PARTS = INFOS.filter((m) => m.name.startsWith('val_') && m.direction === 'max').map((m) => m.name) as [string, ...string[]];

/**
 * RETFound's model selection (main_finetune.py): the mean of macro F1, macro AUC and quadratic kappa.
 * A task whose records have no kappa (multi-label) averages the other two.
 */
export const RETFOUND_COMPOSITE: readonly string[] = ['val_macro_f1', 'val_macro_auc', 'val_kappa_quadratic'];

export function monitorInfo(name: string): MonitorInfo | undefined {
  return BY_NAME.get(name);
}

/** The direction in which a monitor improves. */
export function monitorDirection(name: string): Direction {
  const info = BY_NAME.get(name);
  if (!info) throw new Error(`internal: unknown monitor "${name}"`);
  return info.direction;
}

/** The monitors a task's epoch records carry; `referable`: the classes are graded (eval.referableFrom set). */
export function monitorsForTask(task: Task, options: { referable: boolean }): string[] {
  return INFOS.filter((m) => m.tasks.includes(task) && (m.requires !== 'referableFrom' || options.referable)).map((m) => m.name);
}

export interface CompositeMonitorConfig {
  /** Monitors to average; null: RETFound's (RETFOUND_COMPOSITE). */
  metrics: readonly string[] | null;
  /** One weight per metric; null: equal weights. */
  weights: readonly number[] | null;
}

/** The part of an experiment config monitorValue reads. */
export interface MonitorSettings {
  train: { compositeMonitor: CompositeMonitorConfig };
}

/** The epoch record fields (metrics.jsonl line) a monitor is read from. */
export type MonitorRecord = Readonly<Record<string, unknown>>;

function recordValue(record: MonitorRecord, name: string): number | null {
  const v = record[name];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // A binary report also names its headline AUC "auc": the same quantity, kept for older records.
  if (name === 'val_macro_auc' && typeof record.val_auc === 'number') return record.val_auc;
  return null;
}

/** The (monitor, weight) pairs of a composite for this record's task. */
export function compositeTerms(record: MonitorRecord, composite: CompositeMonitorConfig): { name: string; weight: number }[] {
  if (composite.metrics === null) {
    // The defaults a task does not report (kappa, multi-label) are dropped: records carry every key of their task, null when undefined.
    return RETFOUND_COMPOSITE.filter((name) => name in record || (name === 'val_macro_auc' && 'val_auc' in record)).map((name) => ({
      name,
      weight: 1,
    }));
  }
  return composite.metrics.map((name, i) => ({ name, weight: composite.weights?.[i] ?? 1 }));
}

/**
 * The value of a monitored quantity in an epoch record, or null when it is undefined this epoch (a
 * metric without a value, or a composite with an undefined term). composite: the weighted mean
 * sum(w_i v_i) / sum(w_i) of its terms.
 */
export function monitorValue(record: MonitorRecord, monitor: string, config?: MonitorSettings): number | null {
  if (monitor !== COMPOSITE) return recordValue(record, monitor);
  const terms = compositeTerms(record, config?.train.compositeMonitor ?? { metrics: null, weights: null });
  if (terms.length === 0) return null;
  let sum = 0;
  let weights = 0;
  for (const { name, weight } of terms) {
    const v = recordValue(record, name);
    if (v === null) return null;
    sum += weight * v;
    weights += weight;
  }
  return sum / weights;
}
