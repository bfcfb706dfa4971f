import { z } from 'zod';
import type { Task } from '../data/types';
import type { Direction } from '../eval/metric-registry';
import { COMPOSITE, COMPOSITE_PARTS, monitorDirection, monitorInfo, monitorsForTask, MONITORS } from '../eval/monitors';
import { UserError } from '../util/errors';

/** A monitored metric: a loss, val_<headline key> or composite (the metric registry in src/eval lists them). */
export const monitorField = z.enum(MONITORS);

/** auto: the monitor's direction from the metric registry (min for losses, max for AUC); min/max: as written. */
export const modeField = z.enum(['auto', 'min', 'max']).default('auto');

/** The direction a mode means for a monitor: auto takes the registry's; an explicit one is kept (the user may know better). */
export function resolveMode(mode: 'auto' | Direction, monitor: string): Direction {
  return mode === 'auto' ? monitorDirection(monitor) : mode;
}

/** checkpointMonitor (or another monitor) "composite": a weighted mean of validation metrics. */
export const compositeMonitorSchema = z
  .strictObject({
    /** Validation metrics where higher is better; null: RETFound's macro F1, macro AUC and quadratic kappa (multi-label: the first two). */
    metrics: z.array(z.enum(COMPOSITE_PARTS)).min(1).nullable().default(null),
    /** One positive weight per metric; null: equal weights. */
    weights: z.array(z.number().positive()).min(1).nullable().default(null),
  })
  .refine((c) => c.weights === null || (c.metrics !== null && c.weights.length === c.metrics.length), {
    message: 'weights needs metrics, one weight per metric',
    path: ['weights'],
  });

interface MonitoredConfig {
  train: {
    checkpointMonitor: string;
    scheduler: { name: string; monitor?: string };
    earlyStopping: { monitor: string } | null;
    compositeMonitor: { metrics: readonly string[] | null };
  };
  eval: { referableFrom: number | null };
}

/**
 * Once the dataset's task is known: every monitor the config names must be one the task's epoch records
 * carry (val_accuracy is not reported for multi-label, val_referable_auc needs eval.referableFrom), else
 * a UserError naming the key, the task and the monitors it offers. The trainer calls this before training.
 */
export function checkMonitorsForTask(config: MonitoredConfig, task: Task): void {
  const referable = config.eval.referableFrom !== null;
  const offered = monitorsForTask(task, { referable });
  const used: [string, string][] = [['train.checkpointMonitor', config.train.checkpointMonitor]];
  if (typeof config.train.scheduler.monitor === 'string') used.push(['train.scheduler.monitor', config.train.scheduler.monitor]);
  if (config.train.earlyStopping) used.push(['train.earlyStopping.monitor', config.train.earlyStopping.monitor]);
  const composite = used.some(([, m]) => m === COMPOSITE) ? config.train.compositeMonitor.metrics : null;
  composite?.forEach((m, i) => used.push([`train.compositeMonitor.metrics[${i}]`, m]));
  for (const [key, monitor] of used) {
    if (offered.includes(monitor)) continue;
    const info = monitorInfo(monitor);
    const why =
      info?.requires === 'referableFrom' && info.tasks.includes(task)
        ? `${monitor} needs eval.referableFrom (the first referable grade)`
        : `a ${task} task does not report ${monitor}`;
    throw new UserError(`${key}: ${why}; monitors for ${task}: ${offered.join(', ')}`);
  }
}
