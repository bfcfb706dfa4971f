import { SplitConfig } from '../../src/data/config';
import { foldOf, splitDataset, splitsCsv } from '../../src/data/split';
import { Dataset, Sample, SPLITS } from '../../src/data/types';

function dataset(samples: Sample[], opts: Partial<Pick<Dataset, 'task' | 'classes'>> = {}): Dataset {
  return {
    source: 'test',
    task: opts.task ?? 'multiclass',
    classes: opts.classes ?? ['a', 'b', 'c'],
    samples,
    loadImage: () => Promise.reject(new Error('no images in this test')),
    warnings: [],
  };
}

/** 300 samples, classes 60% / 30% / 10%, patients of one to three images with one class each. */
function patients(): Dataset {
  const samples: Sample[] = [];
  let p = 0;
  while (samples.length < 300) {
    const label = p % 10 < 6 ? 0 : p % 10 < 9 ? 1 : 2;
    const n = 1 + (p % 3);
    for (let k = 0; k < n && samples.length < 300; k++) samples.push({ id: `p${p}_${k}`, label, group: `p${p}` });
    p++;
  }
  return dataset(samples);
}

const cfg: SplitConfig = { val: 0.15, test: 0.15, stratify: true, folds: null, fold: 0, trainOnly: null };

describe('splitDataset', () => {
  it('puts every sample in exactly one split and never splits a group', () => {
    const ds = patients();
    const s = splitDataset(ds, cfg, 7);
    const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(ds.samples.map((_, i) => i));
    const groupSplit = new Map<string, string>();
    for (const name of SPLITS) {
      for (const i of s[name]) {
        const g = ds.samples[i].group!;
        expect(groupSplit.get(g) ?? name).toBe(name);
        groupSplit.set(g, name);
      }
    }
  });

  it('keeps split sizes and class proportions close to the fractions', () => {
    const ds = patients();
    const s = splitDataset(ds, cfg, 7);
    expect(s.val.length).toBeGreaterThanOrEqual(40);
    expect(s.val.length).toBeLessThanOrEqual(50);
    expect(s.test.length).toBeGreaterThanOrEqual(40);
    expect(s.test.length).toBeLessThanOrEqual(50);
    for (const name of SPLITS) {
      const counts = [0, 0, 0];
      for (const i of s[name]) counts[ds.samples[i].label!]++;
      const n = s[name].length;
      expect(Math.abs(counts[0] / n - 0.6)).toBeLessThan(0.06);
      expect(Math.abs(counts[1] / n - 0.3)).toBeLessThan(0.06);
      expect(Math.abs(counts[2] / n - 0.1)).toBeLessThan(0.05);
    }
  });

  it('reproduces class counts exactly (up to rounding) without groups', () => {
    const samples: Sample[] = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, label: i < 150 ? 0 : 1 }));
    const ds = dataset(samples, { task: 'binary', classes: ['neg', 'pos'] });
    const s = splitDataset(ds, { val: 0.2, test: 0.1, stratify: true }, 1);
    const pos = (idx: number[]) => idx.filter((i) => samples[i].label === 1).length;
    expect([s.train.length, s.val.length, s.test.length]).toEqual([140, 40, 20]);
    expect([pos(s.train), pos(s.val), pos(s.test)]).toEqual([35, 10, 5]);
  });

  it('is deterministic for a seed and changes with it', () => {
    const ds = patients();
    expect(splitDataset(ds, cfg, 3)).toEqual(splitDataset(ds, cfg, 3));
    expect(splitDataset(ds, cfg, 3).val).not.toEqual(splitDataset(ds, cfg, 4).val);
  });

  it('stratifies multi-label samples by their label combination', () => {
    const combos = [
      [1, 0, 0],
      [0, 1, 0],
      [1, 1, 0],
      [0, 0, 1],
    ];
    const samples: Sample[] = Array.from({ length: 160 }, (_, i) => ({ id: `m${i}`, labels: combos[i % 4] }));
    const ds = dataset(samples, { task: 'multilabel', classes: ['x', 'y', 'z'] });
    const s = splitDataset(ds, { val: 0.25, test: 0.25, stratify: true }, 2);
    for (const name of SPLITS) {
      const counts = combos.map((c) => s[name].filter((i) => samples[i].labels!.join('') === c.join('')).length);
      const expected = name === 'train' ? 20 : 10;
      counts.forEach((c) => expect(c).toBe(expected));
    }
  });

  it('keeps official splits and pulls the rest of their group along', () => {
    const samples: Sample[] = [
      ...Array.from({ length: 40 }, (_, i): Sample => ({ id: `t${i}`, label: i % 2 })),
      { id: 'off-test-1', label: 0, split: 'test', group: 'g1' },
      { id: 'off-test-2', label: 1, group: 'g1' },
      { id: 'off-val', label: 1, split: 'val' },
    ];
    const ds = dataset(samples, { task: 'binary', classes: ['n', 'y'] });
    const s = splitDataset(ds, cfg, 5);
    expect(s.test).toEqual(expect.arrayContaining([40, 41]));
    expect(s.val).toContain(42);
    expect([...s.train, ...s.val, ...s.test]).toHaveLength(43);
  });

  it('gives every split a sample when there are just enough groups, and a UserError when there are not', () => {
    const three = dataset(
      [0, 1, 2].map((i) => ({ id: `x${i}`, label: 0 })),
      { classes: ['only', 'b'] },
    );
    const s = splitDataset(three, cfg, 1);
    expect([s.train.length, s.val.length, s.test.length]).toEqual([1, 1, 1]);
    const two = dataset([
      { id: 'a', label: 0, group: 'p' },
      { id: 'b', label: 1, group: 'p' },
      { id: 'c', label: 1 },
    ]);
    expect(() => splitDataset(two, cfg, 1)).toThrow(/data\.split: 3 samples in 2 groups are too few/);
    // With no test split asked for, two groups suffice.
    expect(splitDataset(two, { ...cfg, val: 0.3, test: 0 }, 1).test).toEqual([]);
  });
});

describe('splitDataset: official train sets, train-only samples, k-fold', () => {
  const placeOf = (s: ReturnType<typeof splitDataset>, i: number) => SPLITS.find((k) => s[k].includes(i));

  it('draws validation from an official training set when the dataset has no official validation set', () => {
    const samples: Sample[] = Array.from({ length: 60 }, (_, i): Sample => ({
      id: `s${i}`,
      label: i % 3,
      split: i < 40 ? 'train' : 'test',
      group: `p${Math.floor(i / 2)}`,
    }));
    const s = splitDataset(dataset(samples), { ...cfg, val: 0.25 }, 3);
    expect(s.test).toEqual(Array.from({ length: 20 }, (_, i) => 40 + i));
    expect(s.val.length).toBeGreaterThanOrEqual(8);
    expect(s.val.length).toBeLessThanOrEqual(12);
    expect(s.val.every((i) => i < 40)).toBe(true);
    expect(s.train.length + s.val.length).toBe(40);
    for (let p = 0; p < 20; p++) expect(placeOf(s, 2 * p)).toBe(placeOf(s, 2 * p + 1));
  });

  it('keeps samples matching data.split.trainOnly in train (with their group), in splits and in every fold', () => {
    const samples: Sample[] = Array.from({ length: 80 }, (_, i): Sample => ({ id: i % 4 === 0 ? `aug/_${i}_77.jpg` : `img/${i}.jpg`, label: i % 2 }));
    const trainOnly = '^aug/_\\d+_\\d+\\.jpg$';
    const s = splitDataset(dataset(samples, { task: 'binary', classes: ['a', 'b'] }), { ...cfg, trainOnly }, 2);
    for (let i = 0; i < 80; i += 4) expect(s.train).toContain(i);
    expect(s.val.length + s.test.length).toBeGreaterThan(10);
    for (let fold = 0; fold < 4; fold++) {
      const f = splitDataset(dataset(samples, { task: 'binary', classes: ['a', 'b'] }), { ...cfg, trainOnly, folds: 4, fold }, 2);
      for (let i = 0; i < 80; i += 4) expect(f.train).toContain(i);
    }
  });

  it('k-fold: one test set for all folds; the rest falls into k disjoint, grouped, stratified folds, fold k = val', () => {
    const ds = patients();
    const k = 5;
    const runs = Array.from({ length: k }, (_, fold) => splitDataset(ds, { ...cfg, folds: k, fold }, 7));
    for (const r of runs) expect(r.test).toEqual(runs[0].test);
    const test = new Set(runs[0].test);
    expect(test.size).toBeGreaterThan(30);
    // Every non-test sample validates in exactly one fold and trains in the others.
    const valCount = new Array<number>(ds.samples.length).fill(0);
    for (const r of runs) {
      for (const i of r.val) valCount[i]++;
      expect(r.train.length + r.val.length + r.test.length).toBe(ds.samples.length);
      expect(r.val.some((i) => test.has(i))).toBe(false);
    }
    ds.samples.forEach((_, i) => expect(valCount[i]).toBe(test.has(i) ? 0 : 1));
    // Folds are near-equal in size and class mix, and never split a patient.
    const folds = foldOf(ds, { ...cfg, folds: k, fold: 0 }, 7);
    const rest = ds.samples.length - test.size;
    for (let f = 0; f < k; f++) {
      const members = folds.map((v, i) => (v === f ? i : -1)).filter((i) => i >= 0);
      expect(Math.abs(members.length - rest / k)).toBeLessThan(6);
      const class0 = members.filter((i) => ds.samples[i].label === 0).length / members.length;
      expect(Math.abs(class0 - 0.6)).toBeLessThan(0.1);
    }
    const foldOfGroup = new Map<string, number>();
    ds.samples.forEach((smp, i) => {
      if (foldOfGroup.has(smp.group!)) expect(folds[i]).toBe(foldOfGroup.get(smp.group!));
      foldOfGroup.set(smp.group!, folds[i]);
    });
  });

  it('k-fold with test 0 is plain cross-validation; official train and val are pooled, an official test stays', () => {
    const ds = patients();
    const cv = splitDataset(ds, { ...cfg, test: 0, folds: 3, fold: 1 }, 1);
    expect(cv.test).toEqual([]);
    expect(cv.val.length).toBeGreaterThan(90);
    const samples: Sample[] = Array.from({ length: 30 }, (_, i): Sample => ({
      id: `s${i}`,
      label: i % 2,
      split: i < 10 ? 'train' : i < 20 ? 'val' : 'test',
    }));
    const off = dataset(samples, { task: 'binary', classes: ['a', 'b'] });
    const runs = [0, 1].map((fold) => splitDataset(off, { ...cfg, folds: 2, fold }, 1));
    for (const r of runs) expect(r.test).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    expect([...runs[0].val, ...runs[1].val].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('says when there are too few groups for the folds', () => {
    const few = dataset([0, 1, 2].map((i) => ({ id: `x${i}`, label: i % 3, group: 'one' })));
    expect(() => splitDataset(few, { ...cfg, test: 0, folds: 2, fold: 0 }, 1)).toThrow(
      /data\.split: 3 samples in 1 groups are too few for fold 0 0\.50, fold 1 0\.50/,
    );
  });
});

describe('splitsCsv', () => {
  it('writes image, class name and split for single-label data, quoting where needed', () => {
    const ds = dataset([
      { id: 'a.jpg', label: 0 },
      { id: 'b,c.jpg', label: 2 },
      { id: 'd.jpg', label: 1 },
    ]);
    expect(splitsCsv(ds, { train: [0, 2], val: [1], test: [] })).toBe('image,label,split\na.jpg,a,train\n"b,c.jpg",c,val\nd.jpg,b,train\n');
  });

  it('writes 0/1 per class for multi-label data', () => {
    const ds = dataset(
      [
        { id: 'a', labels: [1, 0] },
        { id: 'b', labels: [1, 1] },
      ],
      { task: 'multilabel', classes: ['cataract', 'glaucoma'] },
    );
    expect(splitsCsv(ds, { train: [1], val: [], test: [0] })).toBe('image,cataract,glaucoma,split\na,1,0,test\nb,1,1,train\n');
  });
});
