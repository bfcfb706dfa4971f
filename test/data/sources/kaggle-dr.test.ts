import * as path from 'path';
import { dataConfigSchema, resolveDataPaths } from '../../../src/data/config';
import { loadDataset } from '../../../src/data/sources';
import { splitDataset } from '../../../src/data/split';
import { Dataset, Split } from '../../../src/data/types';
import { cleanup, makeTempDir, writeImage, writeText } from '../fixtures';

let dir: string;
const LEVELS: Record<string, number> = {
  '10_left': 0,
  '10_right': 0,
  '13_left': 1,
  '13_right': 2,
  '15_left': 3,
  '15_right': 4,
  '16_left': 2,
  '16_right': 1,
  '17_left': 0,
  '17_right': 4,
};
beforeAll(async () => {
  dir = makeTempDir('kaggle-dr');
  const rows = Object.entries(LEVELS).map(([n, l]) => `${n},${l}`);
  writeText(path.join(dir, 'kaggle/trainLabels.csv'), `image,level\n${rows.join('\n')}\n99_left,0\n99_right,3\n`);
  for (const name of Object.keys(LEVELS)) await writeImage(path.join(dir, 'kaggle/train', `${name}.jpeg`));
  // The resized-arranged copy: one folder per grade.
  for (const [name, level] of Object.entries(LEVELS)) await writeImage(path.join(dir, 'arranged', String(level), `${name}.jpeg`));
});
afterAll(() => cleanup(dir));

const kaggle = (root: string, extra: object = {}) =>
  resolveDataPaths(dataConfigSchema.parse({ source: 'kaggle-dr', root, cache: { disk: false }, ...extra }), dir);
const labelsOf = (ds: Dataset) => Object.fromEntries(ds.samples.map((s) => [s.id, ds.classes[s.label!]]));

describe('kaggle-dr source', () => {
  it('reads trainLabels.csv and train/<image>.jpeg with the five grades, grouping both eyes by patient', async () => {
    const ds = await loadDataset(kaggle('kaggle'), { seed: 1 });
    expect(ds.classes).toEqual(['No DR', 'Mild', 'Moderate', 'Severe', 'Proliferative']);
    expect(ds.samples).toHaveLength(10);
    expect(ds.samples[2]).toMatchObject({ id: '13_left.jpeg', label: 1, group: '13', origin: 'trainLabels.csv row 4' });
    expect(ds.samples[3]).toMatchObject({ id: '13_right.jpeg', label: 2, group: '13' });
    // Two listed images are absent: one warning line, the run goes on.
    expect(ds.warnings).toEqual([
      expect.stringMatching(/^2 of 12 images listed in .*trainLabels\.csv are missing and were left out: 99_left, 99_right$/),
    ]);
    expect(ds.missing).toEqual([path.join(dir, 'kaggle/train/99_left.jpeg'), path.join(dir, 'kaggle/train/99_right.jpeg')]);
  });

  it('maps grades with the dr-5to3 preset, a custom remap (null drops) and dr-referable', async () => {
    const three = await loadDataset(kaggle('kaggle', { remap: 'dr-5to3' }), { seed: 1 });
    expect(three.classes).toEqual(['No DR', 'Mild', 'Proliferative']);
    const expected3 = ['No DR', 'Mild', 'Mild', 'Proliferative', 'Proliferative'];
    for (const [name, level] of Object.entries(LEVELS)) expect(labelsOf(three)[`${name}.jpeg`]).toBe(expected3[level]);
    const binary = await loadDataset(kaggle('kaggle', { remap: 'dr-referable' }), { seed: 1 });
    expect(binary.task).toBe('binary');
    expect(labelsOf(binary)['13_right.jpeg']).toBe('referable');
    expect(labelsOf(binary)['13_left.jpeg']).toBe('non-referable');
    const custom = await loadDataset(kaggle('kaggle', { remap: { '0': 'healthy', '1': null, '2': 'DR', '3': 'DR', '4': 'DR' } }), { seed: 1 });
    expect(custom.classes).toEqual(['healthy', 'DR']);
    expect(custom.samples.map((s) => s.id)).not.toContain('13_left.jpeg');
    expect(custom.warnings[1]).toMatch(/^2 of 12 rows in .* left out: data\.remap maps their value \(1\) to null$/);
  });

  it('is strict on request, and names the row of a grade outside 0-4 or outside the remap', async () => {
    await expect(loadDataset(kaggle('kaggle', { strict: true }), { seed: 1 })).rejects.toThrow(
      /trainLabels\.csv row 12: image 99_left not found .*\(and 1 more\).*data\.strict: false/,
    );
    writeText(path.join(dir, 'bad/trainLabels.csv'), 'image,level\n10_left,0\n10_right,7\n');
    await expect(loadDataset(kaggle('bad'), { seed: 1 })).rejects.toThrow(/data\.imagesDir: folder not found: .*bad\/train/);
    await writeImage(path.join(dir, 'bad/train/10_left.jpeg'));
    await expect(loadDataset(kaggle('bad'), { seed: 1 })).rejects.toThrow(/trainLabels\.csv row 3: level "7" of 10_right is not a DR grade 0-4/);
    await expect(loadDataset(kaggle('bad', { remap: { '0': 'a', '1': 'b' } }), { seed: 1 })).rejects.toThrow(
      /row 3: level "7" of 10_right is not in data\.remap \(the values in data\.remap \(0, 1\)\)/,
    );
    writeText(path.join(dir, 'nocol/trainLabels.csv'), 'name,grade\n10_left,0\n');
    await expect(loadDataset(kaggle('nocol'), { seed: 1 })).rejects.toThrow(/trainLabels\.csv: no column "image" .*its columns are: name, grade/);
  });

  it('an empty class is an error naming it', async () => {
    writeText(path.join(dir, 'empty/trainLabels.csv'), 'image,level\n10_left,0\n10_right,1\n13_left,0\n');
    for (const n of ['10_left', '10_right', '13_left']) await writeImage(path.join(dir, 'empty/train', `${n}.jpeg`));
    await expect(loadDataset(kaggle('empty', { remap: 'dr-5to3' }), { seed: 1 })).rejects.toThrow(/class "Proliferative" has no images/);
  });

  it('reads the resized-arranged copy (folders 0-4), auto-detected, with the same labels and groups', async () => {
    const ds = await loadDataset(kaggle('arranged', { remap: 'dr-5to3' }), { seed: 1 });
    const csv = await loadDataset(kaggle('kaggle', { remap: 'dr-5to3' }), { seed: 1 });
    const byName = (d: Dataset) => Object.fromEntries(d.samples.map((s) => [path.basename(s.id), [d.classes[s.label!], s.group]]));
    expect(byName(ds)).toEqual(byName(csv));
    expect(ds.samples.find((s) => s.id === '4/15_right.jpeg')).toBeDefined();
    await expect(loadDataset(kaggle('empty-root-that-does-not-exist'), { seed: 1 })).rejects.toThrow(/data\.root: folder not found/);
    writeText(path.join(dir, 'neither/readme.txt'), 'x');
    await expect(loadDataset(kaggle('neither'), { seed: 1 })).rejects.toThrow(/has neither trainLabels\.csv .* nor grade folders 0-4/);
  });

  it('keeps both eyes of a patient in one split', async () => {
    const ds = await loadDataset(kaggle('kaggle', { remap: 'dr-5to3' }), { seed: 1 });
    for (const seed of [1, 2, 3, 4]) {
      const s = splitDataset(ds, { val: 0.2, test: 0.2, stratify: true, folds: null, fold: 0, trainOnly: null }, seed);
      const where = new Map<string, Set<Split>>();
      for (const split of ['train', 'val', 'test'] as const)
        for (const i of s[split]) where.set(ds.samples[i].group!, (where.get(ds.samples[i].group!) ?? new Set()).add(split));
      for (const splits of where.values()) expect(splits.size).toBe(1);
    }
  });
});
