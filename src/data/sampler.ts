import { z } from 'zod';
import { Rng } from '../util/random';
import { Dataset } from './types';

/** data.sampler: 'balanced' draws every class equally often (with replacement); null = each image once per epoch. */
export const samplerConfigSchema = z.enum(['balanced']).nullable().default(null);
export type SamplerConfig = z.infer<typeof samplerConfigSchema>;

/**
 * Per-sample weights that make every class equally likely: 1 / (images of its class). Multi-label
 * samples are balanced over label combinations (each distinct 0/1 pattern equally likely), the one
 * grouping in which every image belongs to exactly one group.
 */
export function balancedSampleWeights(dataset: Dataset, indices: readonly number[]): number[] {
  const key = (i: number): string => {
    const s = dataset.samples[i];
    return dataset.task === 'multilabel' ? (s.labels ?? []).join('') : String(s.label);
  };
  const counts = new Map<string, number>();
  for (const i of indices) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  return indices.map((i) => 1 / counts.get(key(i))!);
}

/**
 * `n` draws with replacement, each index with probability weight / Σ weights: what torch's
 * WeightedRandomSampler(weights, n, replacement=True) does, from our seeded stream (keyed by the
 * epoch by the caller, so a resumed run draws the same epoch). Inverse-CDF on the running sums.
 */
export function weightedDraw(indices: readonly number[], weights: readonly number[], n: number, rng: Rng): number[] {
  if (indices.length !== weights.length) throw new Error(`${indices.length} indices but ${weights.length} weights`);
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, k) => {
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`sampler weight ${w} is not a finite non-negative number`);
    total += w;
    cumulative[k] = total;
  });
  if (!(total > 0)) throw new Error('sampler weights sum to zero');
  const out = new Array<number>(n);
  for (let d = 0; d < n; d++) {
    const u = rng.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > u) hi = mid;
      else lo = mid + 1;
    }
    out[d] = indices[lo];
  }
  return out;
}
