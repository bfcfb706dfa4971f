import { bootstrapCI } from '../../src/eval/bootstrap';
import { bootstrapMetrics, MetricsInput } from '../../src/eval/compute-metrics';
import { defined, undefinedMetric } from '../../src/eval/metric';
import { Rng } from '../../src/util/random';

function syntheticMulticlass(n: number, k: number, seed: number): { labels: number[]; probs: number[][] } {
  const rng = Rng.create(seed, 'synthetic');
  const labels: number[] = [];
  const probs: number[][] = [];
  for (let i = 0; i < n; i++) {
    const y = rng.int(k);
    const raw = Array.from({ length: k }, (_, c) => Math.exp(rng.normal() + (c === y ? 1.5 : 0)));
    const sum = raw.reduce((a, b) => a + b, 0);
    labels.push(y);
    probs.push(raw.map((v) => v / sum));
  }
  return { labels, probs };
}

const meanStat = (values: number[]) => (rows: number[]) => ({
  mean: defined(rows.reduce((a, r) => a + values[r], 0) / rows.length),
});

test('the same seed gives the same intervals; another seed other ones', () => {
  const { labels, probs } = syntheticMulticlass(120, 3, 1);
  const input: MetricsInput = { task: 'multiclass', classes: ['a', 'b', 'c'], labels, probs };
  const a = bootstrapMetrics(input, { resamples: 200, seed: 5 });
  const b = bootstrapMetrics(input, { resamples: 200, seed: 5 });
  const c = bootstrapMetrics(input, { resamples: 200, seed: 6 });
  expect(a).toEqual(b);
  expect(c.intervals.macro_auc).not.toEqual(a.intervals.macro_auc);
  expect(a.intervals.macro_auc.lo).toBeLessThan(a.intervals.macro_auc.hi as number);
});

test('a percentile interval of a mean covers it at about the normal-theory width', () => {
  const rng = Rng.create(2, 'test');
  const values: number[] = Array.from({ length: 400 }, () => (rng.next() < 0.8 ? 1 : 0));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const r = bootstrapCI(meanStat(values), values.length, { resamples: 1000, seed: 1 });
  const iv = r.intervals.mean as { lo: number; hi: number };
  const halfWidth = 1.96 * Math.sqrt((mean * (1 - mean)) / values.length);
  expect(iv.lo).toBeLessThan(mean);
  expect(iv.hi).toBeGreaterThan(mean);
  expect((iv.hi - iv.lo) / 2).toBeGreaterThan(0.8 * halfWidth);
  expect((iv.hi - iv.lo) / 2).toBeLessThan(1.2 * halfWidth);
  expect(r).toMatchObject({ method: 'percentile bootstrap', level: 0.95, resamples: 1000, redrawn: 0, unit: 'case', units: 400 });
});

test('resamples missing a rare class are redrawn and counted', () => {
  // one positive in 30: about 36% of plain resamples lack it
  const labels = Array.from({ length: 30 }, (_, i) => (i === 7 ? 1 : 0));
  const probs = labels.map((l, i) => (l ? [0.3, 0.7] : [0.6 + (i % 5) * 0.05, 0.4 - (i % 5) * 0.05]));
  const r = bootstrapMetrics({ task: 'binary', classes: ['normal', 'glaucoma'], labels, probs }, { resamples: 300, seed: 0 });
  expect(r.resamples).toBe(300);
  expect(r.redrawn).toBeGreaterThan(100);
  expect(r.redrawn).toBeLessThan(300);
  expect(r.notes).toEqual([`${r.redrawn} resamples redrawn because a class present in the data was absent from them`]);
  // the positive is in every accepted resample, so AUC is defined in all of them
  expect(r.intervals.auc).not.toHaveProperty('note');
  expect(r.intervals.auc.lo).not.toBeNull();
});

test('accepted resamples always contain every class; rejected ones never reach the statistic', () => {
  const labels = Array.from({ length: 20 }, (_, i) => (i === 3 ? 1 : 0));
  let calls = 0;
  const r = bootstrapCI(
    (rows) => {
      calls++;
      expect(rows).toContain(3);
      return { x: defined(1) };
    },
    labels.length,
    { resamples: 100, seed: 9, accept: (rows) => rows.includes(3) },
  );
  expect(calls).toBe(100);
  expect(r.redrawn).toBeGreaterThan(0);
});

test('groups are resampled whole (both eyes of a patient together)', () => {
  // 25 patients with 2 eyes each: rows 2p and 2p+1
  const groups = Array.from({ length: 50 }, (_, i) => `patient${Math.floor(i / 2)}`);
  const r = bootstrapCI(
    (rows) => {
      const count = new Map<number, number>();
      for (const row of rows) count.set(row, (count.get(row) ?? 0) + 1);
      for (const [row, times] of count) expect(count.get(row ^ 1)).toBe(times);
      expect(rows.length).toBe(50);
      return { n: defined(rows.length) };
    },
    50,
    { resamples: 50, seed: 4, groups },
  );
  expect(r.unit).toBe('group');
  expect(r.units).toBe(25);

  // groups of unequal size: the resample size varies
  const sizes = new Set<number>();
  bootstrapCI(
    (rows) => {
      sizes.add(rows.length);
      return { n: defined(rows.length) };
    },
    6,
    { resamples: 30, seed: 1, groups: ['a', 'a', 'a', 'a', 'b', 'c'] },
  );
  expect(sizes.size).toBeGreaterThan(1);
  expect(() => bootstrapCI(meanStat([1, 2]), 2, { groups: ['a'] })).toThrow(/1 group ids for 2 cases/);
});

test('a metric undefined in some resamples gets its interval from the others and says so', () => {
  let k = 0;
  const r = bootstrapCI(() => ({ m: k++ % 4 === 0 ? undefinedMetric('no positive case') : defined(k) }), 10, {
    resamples: 100,
    seed: 0,
  });
  expect(r.intervals.m).toMatchObject({ note: 'from the 75 of 100 resamples where it is defined (no positive case in the others)' });
  const never = bootstrapCI(() => ({ m: undefinedMetric('class "x" has no positive case') }), 5, { resamples: 10 });
  expect(never.intervals.m).toEqual({ lo: null, hi: null, reason: 'undefined in every resample (class "x" has no positive case)' });
});

test('gives up, and says so, when no resample can be accepted', () => {
  const r = bootstrapCI(meanStat([1, 2, 3]), 3, { resamples: 5, seed: 0, accept: () => false });
  expect(r.resamples).toBe(0);
  expect(r.notes[0]).toMatch(/^gave up after 1500 redrawn resamples: only 0 of 5/);
  expect(r.intervals).toEqual({});
});

// Speed is measured, not asserted: a wall-clock bound fails on a loaded 2-core machine. The time is logged.
test('1000 resamples of 1000 cases x 4 classes all complete', () => {
  const { labels, probs } = syntheticMulticlass(1000, 4, 3);
  const t0 = Date.now();
  const r = bootstrapMetrics({ task: 'multiclass', classes: ['a', 'b', 'c', 'd'], labels, probs }, { resamples: 1000, seed: 1 });
  const seconds = (Date.now() - t0) / 1000;
  console.log(`bootstrap: 1000 resamples x 1000 cases x 4 classes in ${seconds.toFixed(2)} s`);
  expect(r.resamples).toBe(1000);
  expect(r.intervals.macro_auc.lo).toBeLessThan(r.intervals.macro_auc.hi as number);
});

test('multi-label: resamples where a varying label turns constant are redrawn', () => {
  // label "rare" has one positive in 25 cases; label "never" is constant in the data and ignored
  const targets = Array.from({ length: 25 }, (_, i) => [i % 2, i === 4 ? 1 : 0, 0]);
  const probs = targets.map((t, i) => [0.3 + 0.4 * t[0] - (i % 3) * 0.05, t[1] ? 0.6 : 0.2 + (i % 4) * 0.1, 0.1]);
  const r = bootstrapMetrics({ task: 'multilabel', classes: ['common', 'rare', 'never'], targets, probs }, { resamples: 200, seed: 3 });
  expect(r.resamples).toBe(200);
  expect(r.redrawn).toBeGreaterThan(50);
  // macro AUC always averages the same two labels: the skip note is the same in every resample
  expect(r.intervals.macro_auc).not.toHaveProperty('note');
  expect(r.intervals.macro_auc.lo).not.toBeNull();
});
