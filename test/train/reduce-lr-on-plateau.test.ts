import * as fs from 'fs';
import * as path from 'path';
import { ReduceLROnPlateau, ReduceLROnPlateauOptions } from '../../src/train/reduce-lr-on-plateau';

interface PlateauCase {
  name: string;
  options: Record<string, number | string>;
  metrics: number[];
  lrs: number[];
  initial_lr: number;
}

const reference = JSON.parse(fs.readFileSync(path.join(__dirname, 'torch-reference.json'), 'utf8'));

function toOptions(o: Record<string, number | string>): Partial<ReduceLROnPlateauOptions> {
  const map: Record<string, keyof ReduceLROnPlateauOptions> = { threshold_mode: 'thresholdMode', min_lr: 'minLr' };
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [map[k] ?? k, v])) as Partial<ReduceLROnPlateauOptions>;
}

describe('ReduceLROnPlateau', () => {
  const cases: [string, PlateauCase][] = reference.plateau.map((c: PlateauCase) => [c.name, c]);
  test.each(cases)('learning rates equal torch.optim for %s', (_name, c) => {
    const { options, metrics, lrs, initial_lr } = c;
    const sched = new ReduceLROnPlateau(toOptions(options));
    let lr = initial_lr;
    const seen = metrics.map((m) => (lr = sched.step(m, lr)));
    expect(seen).toHaveLength(lrs.length);
    seen.forEach((v, i) => expect(v).toBeCloseTo(lrs[i], 12));
  });

  test('reduces after patience + 1 bad epochs (not patience, as Keras does)', () => {
    const sched = new ReduceLROnPlateau({ mode: 'max', patience: 2, factor: 0.5 });
    const lrs = [0.9, 0.8, 0.8, 0.8].map((m) => sched.step(m, 1));
    expect(lrs).toEqual([1, 1, 1, 0.5]);
  });

  test('state round-trips so a resumed scheduler continues identically', () => {
    const a = new ReduceLROnPlateau({ mode: 'max', patience: 1, cooldown: 1 });
    let lr = 1;
    for (const m of [0.5, 0.4, 0.4]) lr = a.step(m, lr);
    const b = new ReduceLROnPlateau({ mode: 'max', patience: 1, cooldown: 1 });
    b.setState(JSON.parse(JSON.stringify({ ...a.getState(), best: a.getState().best })));
    let lrA = lr;
    let lrB = lr;
    for (const m of [0.3, 0.3, 0.3, 0.6, 0.2, 0.2]) {
      lrA = a.step(m, lrA);
      lrB = b.step(m, lrB);
      expect(lrB).toBe(lrA);
    }
  });

  test('rejects a factor of 1 or more', () => {
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow(/factor must be < 1/);
  });
});

describe('ReduceLROnPlateau.reset', () => {
  test('forgets best, bad epochs, cooldown and epoch count: it then steps exactly as a new one', () => {
    const options = { mode: 'min' as const, patience: 1, factor: 0.5, cooldown: 2 };
    const used = new ReduceLROnPlateau(options);
    let lr = 1;
    for (const m of [1, 2, 3]) lr = used.step(m, lr);
    // The third epoch reduced the rate and started a cooldown.
    expect(lr).toBe(0.5);
    expect(used.getState()).toEqual({ best: 1, numBadEpochs: 0, cooldownCounter: 2, lastEpoch: 3 });
    used.reset();
    expect(used.getState()).toEqual(new ReduceLROnPlateau(options).getState());
    const fresh = new ReduceLROnPlateau(options);
    const metrics = [5, 6, 7, 8, 9];
    let a = 0.1;
    let b = 0.1;
    const lrsA = metrics.map((m) => (a = used.step(m, a)));
    const lrsB = metrics.map((m) => (b = fresh.step(m, b)));
    expect(lrsA).toEqual(lrsB);
    // Fresh: 5 is the best, 6 and 7 are bad, so the rate halves at 7 (a leftover cooldown would have delayed it).
    expect(lrsA[2]).toBe(0.05);
  });
});
