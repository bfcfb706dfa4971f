import { UserError } from '../util/errors';
import { Rng } from '../util/random';
import { SplitConfig } from './config';
import { Dataset, Sample, Split, SPLITS } from './types';

/** Sample indices (into dataset.samples) of each split, ascending. */
export interface SplitIndices {
  train: number[];
  val: number[];
  test: number[];
}

/** What stratification keeps balanced: the class name, or the 0/1 string of a multi-label sample ("1010"). */
export function labelKey(dataset: Dataset, sample: Sample): string {
  if (dataset.task === 'multilabel') return (sample.labels ?? []).join('');
  return sample.label !== undefined ? dataset.classes[sample.label] ?? String(sample.label) : '';
}

/** The samples that must share a split: one group per patient, or the sample alone when it has no group. */
function groupUnits(samples: Sample[]): number[][] {
  const byGroup = new Map<string, number[]>();
  const units: number[][] = [];
  samples.forEach((s, i) => {
    if (s.group === undefined) {
      units.push([i]);
      return;
    }
    let unit = byGroup.get(s.group);
    if (!unit) {
      unit = [];
      byGroup.set(s.group, unit);
      units.push(unit);
    }
    unit.push(i);
  });
  return units;
}

/**
 * Seeded, stratified, grouped train/val/test split.
 * - Grouped: every sample of a group (patient) lands in the same split.
 * - Samples that carry a split (official challenge splits) keep it, and pull the rest of their group with them.
 * - The other groups are visited in a seeded random order and each goes to the split that most lacks
 *   its labels: the split s maximising sum over its samples' label keys k of (target[s][k] - count[s][k]),
 *   where target[s][k] = fraction(s) * (samples with key k). Without groups this reproduces each class's
 *   proportions up to rounding; with groups it stays close.
 * - Every split with a non-zero fraction gets at least one group when there are enough groups; else a UserError.
 */
export function splitDataset(dataset: Dataset, split: SplitConfig, seed: number): SplitIndices {
  const fraction: Record<Split, number> = { train: 1 - split.val - split.test, val: split.val, test: split.test };
  const active = SPLITS.filter((s) => fraction[s] > 0);
  const assigned: Record<Split, number[][]> = { train: [], val: [], test: [] };
  const free: number[][] = [];
  const result: SplitIndices = { train: [], val: [], test: [] };

  for (const unit of groupUnits(dataset.samples)) {
    const preset = unit.map((i) => dataset.samples[i].split).find((s) => s !== undefined);
    if (preset === undefined) {
      free.push(unit);
      continue;
    }
    for (const i of unit) result[dataset.samples[i].split ?? preset].push(i);
  }

  if (free.length > 0) {
    const key = (i: number): string => (split.stratify ? labelKey(dataset, dataset.samples[i]) : '');
    const total = new Map<string, number>();
    for (const unit of free) for (const i of unit) total.set(key(i), (total.get(key(i)) ?? 0) + 1);
    const count: Record<Split, Map<string, number>> = { train: new Map(), val: new Map(), test: new Map() };
    const order = Rng.create(seed, 'split').shuffle([...free]);
    for (const unit of order) {
      let best: Split = active[0];
      let bestScore = -Infinity;
      for (const s of active) {
        let score = 0;
        for (const i of unit) score += fraction[s] * total.get(key(i))! - (count[s].get(key(i)) ?? 0);
        if (score > bestScore + 1e-9) {
          best = s;
          bestScore = score;
        }
      }
      assigned[best].push(unit);
      for (const i of unit) count[best].set(key(i), (count[best].get(key(i)) ?? 0) + 1);
    }

    // A split that got nothing takes the smallest, last-placed group of the split with the most groups.
    for (const s of active) {
      if (assigned[s].length > 0 || result[s].length > 0) continue;
      const donor = active.filter((d) => assigned[d].length > 1).sort((a, b) => assigned[b].length - assigned[a].length)[0];
      if (!donor) {
        throw new UserError(
          `data.split: ${dataset.samples.length} samples in ${free.length} groups are too few for ` +
            `${active.map((a) => `${a} ${fraction[a].toFixed(2)}`).join(', ')}; add images or set data.split.val/test to 0`,
        );
      }
      const units = assigned[donor];
      let pick = units.length - 1;
      for (let u = units.length - 1; u >= 0; u--) if (units[u].length < units[pick].length) pick = u;
      assigned[s].push(...units.splice(pick, 1));
    }
    for (const s of SPLITS) for (const unit of assigned[s]) result[s].push(...unit);
  }

  for (const s of SPLITS) result[s].sort((a, b) => a - b);
  return result;
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The run directory's splits.csv: `image,label,split` (label = class name), or for multi-label
 * `image,<class>...,split` with 0/1 per class; one row per image in dataset order.
 */
export function splitsCsv(dataset: Dataset, splits: SplitIndices): string {
  const splitOf = new Map<number, Split>();
  for (const s of SPLITS) for (const i of splits[s]) splitOf.set(i, s);
  const header = dataset.task === 'multilabel' ? ['image', ...dataset.classes, 'split'] : ['image', 'label', 'split'];
  const lines = [header.map(csvCell).join(',')];
  dataset.samples.forEach((sample, i) => {
    const s = splitOf.get(i);
    if (s === undefined) return;
    const labels = dataset.task === 'multilabel' ? (sample.labels ?? []).map(String) : [dataset.classes[sample.label ?? -1] ?? ''];
    lines.push([sample.id, ...labels, s].map(csvCell).join(','));
  });
  return lines.join('\n') + '\n';
}
