import { userAssert } from '../util/errors';
import { Rng } from '../util/random';
import { isDefined, Metric } from './metric';

export interface BootstrapOptions {
  /** Accepted resamples to collect (default 1000). */
  resamples?: number;
  /** Experiment seed; the stream is Rng.create(seed, 'bootstrap') (default 0). */
  seed?: number;
  /** One group id (patient) per case: whole groups are resampled, so a patient's eyes stay together. */
  groups?: readonly string[];
  /** 1 - confidence level (default 0.05: 95% intervals). */
  alpha?: number;
}

/** A percentile interval, or why there is none. */
export type BootstrapInterval = { lo: number; hi: number; note?: string } | { lo: null; hi: null; reason: string };

export interface BootstrapResult {
  method: 'percentile bootstrap';
  /** Confidence level, 1 - alpha. */
  level: number;
  alpha: number;
  seed: number;
  /** Accepted resamples the intervals come from. */
  resamples: number;
  /** Resamples drawn and thrown away because a class present in the data was absent from them. */
  redrawn: number;
  /** What was resampled: single cases, or groups (patients) when the data knows them. */
  unit: 'case' | 'group';
  /** Number of cases or groups resampled from. */
  units: number;
  intervals: Record<string, BootstrapInterval>;
  notes: string[];
}

/**
 * Percentile of sorted values with linear interpolation between order statistics
 * (numpy's default): position q * (m - 1).
 */
export function percentile(sorted: readonly number[], q: number): number {
  const h = q * (sorted.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Redraws allowed in all before giving up on reaching the requested number of resamples. */
function maxRedraws(resamples: number): number {
  return 100 * resamples + 1000;
}

/**
 * Percentile bootstrap confidence intervals for every metric `statistic` returns.
 * `statistic(rows)` computes the metrics on the cases with those indices (repeats
 * included); `accept(rows)` rejects a resample (e.g. a class absent), which is then redrawn
 * and counted. A metric undefined in some resamples gets its interval from the others, and
 * the note says how many.
 */
export function bootstrapCI(
  statistic: (rows: number[]) => Record<string, Metric>,
  n: number,
  options: BootstrapOptions & { accept?: (rows: number[]) => boolean } = {},
): BootstrapResult {
  const resamples = options.resamples ?? 1000;
  const alpha = options.alpha ?? 0.05;
  const seed = options.seed ?? 0;
  userAssert(Number.isInteger(resamples) && resamples >= 1, `bootstrap resamples must be a positive integer, got ${resamples}`);
  userAssert(alpha > 0 && alpha < 1, `bootstrap alpha must be in (0, 1), got ${alpha}`);
  userAssert(n > 0, 'bootstrap needs at least one case');

  // resampling units: single cases, or all the cases of one group
  let units: number[][];
  if (options.groups) {
    const groups = options.groups;
    userAssert(groups.length === n, `bootstrap groups: ${groups.length} group ids for ${n} cases`);
    const byGroup = new Map<string, number[]>();
    groups.forEach((g, i) => {
      const rows = byGroup.get(g);
      if (rows) rows.push(i);
      else byGroup.set(g, [i]);
    });
    units = [...byGroup.values()];
  } else {
    units = Array.from({ length: n }, (_, i) => [i]);
  }

  const rng = Rng.create(seed, 'bootstrap');
  const values = new Map<string, number[]>();
  const firstReason = new Map<string, string>();
  const limit = maxRedraws(resamples);
  let accepted = 0;
  let redrawn = 0;
  const notes: string[] = [];
  while (accepted < resamples) {
    const rows: number[] = [];
    for (let u = 0; u < units.length; u++) {
      for (const r of units[rng.int(units.length)]) rows.push(r);
    }
    if (options.accept && !options.accept(rows)) {
      redrawn++;
      if (redrawn >= limit) {
        notes.push(`gave up after ${redrawn} redrawn resamples: only ${accepted} of ${resamples} had every class present`);
        break;
      }
      continue;
    }
    accepted++;
    for (const [key, m] of Object.entries(statistic(rows))) {
      if (!values.has(key)) values.set(key, []);
      if (isDefined(m)) (values.get(key) as number[]).push(m.value);
      else if (!firstReason.has(key)) firstReason.set(key, m.reason);
    }
  }
  if (redrawn > 0 && accepted === resamples) {
    notes.push(`${redrawn} resamples redrawn because a class present in the data was absent from them`);
  }

  const intervals: Record<string, BootstrapInterval> = {};
  for (const [key, vs] of values) {
    if (vs.length === 0) {
      intervals[key] = { lo: null, hi: null, reason: `undefined in every resample (${firstReason.get(key)})` };
      continue;
    }
    const sorted = Float64Array.from(vs).sort();
    const arr = Array.from(sorted);
    const interval: BootstrapInterval = { lo: percentile(arr, alpha / 2), hi: percentile(arr, 1 - alpha / 2) };
    if (vs.length < accepted) {
      interval.note = `from the ${vs.length} of ${accepted} resamples where it is defined (${firstReason.get(key)} in the others)`;
    }
    intervals[key] = interval;
  }
  return {
    method: 'percentile bootstrap',
    level: 1 - alpha,
    alpha,
    seed,
    resamples: accepted,
    redrawn,
    unit: options.groups ? 'group' : 'case',
    units: units.length,
    intervals,
    notes,
  };
}
