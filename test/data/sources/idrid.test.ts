import * as path from 'path';
import { dataConfigSchema, resolveDataPaths } from '../../../src/data/config';
import { loadDataset } from '../../../src/data/sources';
import { splitDataset } from '../../../src/data/split';
import { cleanup, makeTempDir, writeImage, writeText } from '../fixtures';

let dir: string;
const ROOT = 'B. Disease Grading';
// IDRiD's grading CSVs: a trailing space in the last header, empty trailing columns and empty rows at the end.
const HEADER = 'Image name,Retinopathy grade,Risk of macular edema ,,,,';
beforeAll(async () => {
  dir = makeTempDir('idrid');
  const train = ['IDRiD_001,3,2,,,,', 'IDRiD_002,0,0,,,,', 'IDRiD_003,2,1,,,,', 'IDRiD_004,4,2,,,,', 'IDRiD_005,1,0,,,,', 'IDRiD_006,0,0,,,,'];
  const test = ['IDRiD_001,0,0,,,,', 'IDRiD_002,2,1,,,,', 'IDRiD_003,4,2,,,,', 'IDRiD_004,1,0,,,,', 'IDRiD_005,3,1,,,,'];
  writeText(path.join(dir, ROOT, '2. Groundtruths/a. IDRiD_Disease Grading_Training Labels.csv'), `${HEADER}\n${train.join('\n')}\n,,,,,,\n`);
  writeText(path.join(dir, ROOT, '2. Groundtruths/b. IDRiD_Disease Grading_Testing Labels.csv'), `${HEADER}\n${test.join('\n')}\n`);
  for (let i = 1; i <= 6; i++) await writeImage(path.join(dir, ROOT, '1. Original Images/a. Training Set', `IDRiD_00${i}.jpg`));
  for (let i = 1; i <= 5; i++)
    await writeImage(path.join(dir, ROOT, '1. Original Images/b. Testing Set', `IDRiD_00${i}.jpg`), { rgb: [10 * i, 90, 30] });
});
afterAll(() => cleanup(dir));

const idrid = (extra: object = {}) =>
  resolveDataPaths(dataConfigSchema.parse({ source: 'idrid', root: ROOT, cache: { disk: false }, ...extra }), dir);

describe('idrid source', () => {
  it('matches each grading CSV with the image folder of its set (names repeat across sets); testing = test', async () => {
    const ds = await loadDataset(idrid(), { seed: 1 });
    expect(ds.classes).toEqual(['No DR', 'Mild', 'Moderate', 'Severe', 'Proliferative']);
    expect(ds.samples).toHaveLength(11);
    expect(ds.warnings).toEqual([]);
    expect(ds.samples[0]).toMatchObject({ id: '1. Original Images/a. Training Set/IDRiD_001.jpg', label: 3, split: 'train' });
    expect(ds.samples[6]).toMatchObject({ id: '1. Original Images/b. Testing Set/IDRiD_001.jpg', label: 0, split: 'test' });
    expect(ds.samples[6].origin).toBe('2. Groundtruths/b. IDRiD_Disease Grading_Testing Labels.csv row 2');
    // The official test set stays; validation is drawn from the training set.
    const s = splitDataset(ds, { val: 0.34, test: 0.15, stratify: false, folds: null, fold: 0, trainOnly: null }, 1);
    expect(s.test).toEqual([6, 7, 8, 9, 10]);
    expect(s.val).toHaveLength(2);
    expect(s.train).toHaveLength(4);
    expect([...s.train, ...s.val].every((i) => i < 6)).toBe(true);
  });

  it('reads the macular edema column (header with a trailing space) as classes 0-2, and remaps grades', async () => {
    const dme = await loadDataset(idrid({ labelColumn: 'Risk of macular edema' }), { seed: 1 });
    expect(dme.classes).toEqual(['0', '1', '2']);
    expect(dme.samples[0].label).toBe(2);
    const three = await loadDataset(idrid({ remap: 'dr-5to3' }), { seed: 1 });
    expect(three.classes).toEqual(['No DR', 'Mild', 'Proliferative']);
    expect(three.samples[0].label).toBe(2);
  });

  it('says what it looked for when nothing matches', async () => {
    await expect(loadDataset(idrid({ labelColumn: 'DR grade' }), { seed: 1 })).rejects.toThrow(
      /no CSV below .* has the columns "Image name" and "DR grade"/,
    );
  });
});
