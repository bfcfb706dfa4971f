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
  return sample.label !== undefined ? (dataset.classes[sample.label] ?? String(sample.label)) : '';
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
 * Assigns units (groups of sample indices) to bins with target fractions: units are visited in a seeded
 * random order and each goes to the bin that most lacks its labels — the bin b maximising the sum over
 * the unit's samples' label keys k of (target[b][k] - count[b][k]), target[b][k] = fraction(b) * (samples
 * with key k); ties go to the earlier bin. Without groups this reproduces each class's proportions up to
 * rounding; with groups it stays close. A bin with a non-zero fraction that got nothing then takes the
 * smallest, last-placed unit of the bin with the most units; when no bin can spare one, `tooFew` says why.
 */
function drawUnits(
  units: number[][],
  fractions: Array<[string, number]>,
  key: (i: number) => string,
  rng: Rng,
  tooFew: () => string,
): Map<string, number[][]> {
  const active = fractions.filter(([, f]) => f > 0).map(([b]) => b);
  const fraction = new Map(fractions);
  const assigned = new Map<string, number[][]>(fractions.map(([b]) => [b, []]));
  if (units.length === 0) return assigned;
  const total = new Map<string, number>();
  for (const unit of units) for (const i of unit) total.set(key(i), (total.get(key(i)) ?? 0) + 1);
  const count = new Map<string, Map<string, number>>(active.map((b) => [b, new Map()]));
  for (const unit of rng.shuffle([...units])) {
    let best = active[0];
    let bestScore = -Infinity;
    for (const b of active) {
      let score = 0;
      for (const i of unit) score += fraction.get(b)! * total.get(key(i))! - (count.get(b)!.get(key(i)) ?? 0);
      if (score > bestScore + 1e-9) {
        best = b;
        bestScore = score;
      }
    }
    assigned.get(best)!.push(unit);
    for (const i of unit) count.get(best)!.set(key(i), (count.get(best)!.get(key(i)) ?? 0) + 1);
  }
  for (const b of active) {
    if (assigned.get(b)!.length > 0) continue;
    const donor = active.filter((d) => assigned.get(d)!.length > 1).sort((x, y) => assigned.get(y)!.length - assigned.get(x)!.length)[0];
    if (!donor) throw new UserError(tooFew());
    const donorUnits = assigned.get(donor)!;
    let pick = donorUnits.length - 1;
    for (let u = donorUnits.length - 1; u >= 0; u--) if (donorUnits[u].length < donorUnits[pick].length) pick = u;
    assigned.get(b)!.push(...donorUnits.splice(pick, 1));
  }
  return assigned;
}

/**
 * Seeded, stratified, grouped train/val/test split, or one fold of a k-fold cross-validation.
 * - Grouped: every sample of a group (patient) lands in the same split.
 * - Samples that carry a split (official challenge splits) keep it, and pull the rest of their group
 *   with them. A split the dataset provides is not drawn again from the other samples (its fraction
 *   goes to train); official training samples of a dataset without an official validation set
 *   (IDRiD: training and testing sets) are divided between train and val by data.split.val.
 * - Samples whose id matches data.split.trainOnly always train.
 * - The other groups are placed by drawUnits with the fractions of data.split.
 * - Folds (data.split.folds = k): test is held out first (unless the dataset provides it), then the
 *   rest, official train and val pooled, falls into k grouped, stratified folds drawn from their own
 *   stream, the same for every fold index; fold data.split.fold is val, the others train.
 * - Every drawn split with a non-zero fraction gets at least one group when there are enough groups; else a UserError.
 */
/** data.split as splitDataset takes it: the k-fold and train-only settings may be left out (off). */
export type SplitOptions = Omit<SplitConfig, 'folds' | 'fold' | 'trainOnly'> & Partial<Pick<SplitConfig, 'folds' | 'fold' | 'trainOnly'>>;

export function splitDataset(dataset: Dataset, split: SplitOptions, seed: number): SplitIndices {
  const folds = split.folds ?? null;
  const foldIndex = split.fold ?? 0;
  const trainOnly = split.trainOnly ? new RegExp(split.trainOnly) : null;
  const samples = dataset.samples;
  const provided = { val: samples.some((s) => s.split === 'val'), test: samples.some((s) => s.split === 'test') };
  /** A sample's fixed split; 'pool' = official train/val that is drawn again between train and val only; undefined = free. */
  const fixed = (i: number): Split | 'pool' | undefined => {
    const s = samples[i];
    if (trainOnly && trainOnly.test(s.id)) return 'train';
    if (s.split === undefined || s.split === 'test') return s.split;
    return folds === null && provided.val ? s.split : 'pool';
  };
  const result: SplitIndices = { train: [], val: [], test: [] };
  const free: number[][] = [];
  const pooled: number[][] = [];
  for (const unit of groupUnits(samples)) {
    const preset = unit.map(fixed).find((s) => s !== undefined);
    if (preset === undefined) free.push(unit);
    else if (preset === 'pool' && unit.every((i) => fixed(i) === 'pool' || fixed(i) === undefined)) pooled.push(unit);
    else
      for (const i of unit) {
        const own = fixed(i) ?? preset;
        result[own === 'pool' ? 'train' : own].push(i);
      }
  }

  const key = (i: number): string => (split.stratify ? labelKey(dataset, samples[i]) : '');
  const val = provided.val ? 0 : split.val;
  const test = provided.test ? 0 : split.test;
  const tooFew = (fractions: Array<[string, number]>, units: number[][]) => () =>
    `data.split: ${units.reduce((n, u) => n + u.length, 0)} samples in ${units.length} groups are too few for ` +
    `${fractions
      .filter(([, f]) => f > 0)
      .map(([b, f]) => `${b} ${f.toFixed(2)}`)
      .join(', ')}; add images or set data.split.val/test to 0`;
  const place = (drawn: Map<string, number[][]>): void => {
    for (const s of SPLITS) for (const unit of drawn.get(s) ?? []) result[s].push(...unit);
  };

  if (folds === null) {
    // Without presets these are data.split's fractions in SPLITS order, as always.
    const fractions: Array<[string, number]> = [
      ['train', 1 - val - test],
      ['val', val],
      ['test', test],
    ];
    place(drawUnits(free, fractions, key, Rng.create(seed, 'split'), tooFew(fractions, free)));
    const trainVal: Array<[string, number]> = [
      ['train', 1 - split.val],
      ['val', split.val],
    ];
    place(drawUnits(pooled, trainVal, key, Rng.create(seed, 'split:official'), tooFew(trainVal, pooled)));
  } else {
    const outer: Array<[string, number]> = [
      ['rest', 1 - test],
      ['test', test],
    ];
    const held = free.length > 0 ? drawUnits(free, outer, key, Rng.create(seed, 'split'), tooFew(outer, free)) : new Map([['rest', []]]);
    for (const unit of held.get('test') ?? []) result.test.push(...unit);
    const rest = [...held.get('rest')!, ...pooled];
    const foldFractions: Array<[string, number]> = Array.from({ length: folds }, (_, f) => [`fold ${f}`, 1 / folds]);
    const byFold = drawUnits(rest, foldFractions, key, Rng.create(seed, 'split:folds'), tooFew(foldFractions, rest));
    foldFractions.forEach(([name], f) => {
      for (const unit of byFold.get(name)!) (f === foldIndex ? result.val : result.train).push(...unit);
    });
  }

  for (const s of SPLITS) result[s].sort((a, b) => a - b);
  return result;
}

/** Fold index (0..folds-1) of every sample in a k-fold split, -1 for test and train-only samples: for checks and reports. */
export function foldOf(dataset: Dataset, split: SplitOptions, seed: number): number[] {
  if (split.folds === null || split.folds === undefined) throw new Error('foldOf needs data.split.folds');
  const out = new Array<number>(dataset.samples.length).fill(-1);
  for (let f = 0; f < split.folds; f++) for (const i of splitDataset(dataset, { ...split, fold: f }, seed).val) out[i] = f;
  return out;
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
