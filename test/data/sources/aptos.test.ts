import * as path from 'path';
import { dataConfigSchema, resolveDataPaths } from '../../../src/data/config';
import { loadDataset } from '../../../src/data/sources';
import { cleanup, makeTempDir, writeImage, writeText } from '../fixtures';

let dir: string;
beforeAll(async () => {
  dir = makeTempDir('aptos');
  writeText(
    path.join(dir, 'aptos/train.csv'),
    'id_code,diagnosis\n000c1434d8d7,2\n001639a390f0,4\n0024cdab0c1e,1\n002c21358ce6,0\n005b95c28852,0\n0083ee8054ee,3\nffa47f6a7bf4,2\n',
  );
  for (const id of ['000c1434d8d7', '001639a390f0', '0024cdab0c1e', '002c21358ce6', '005b95c28852', '0083ee8054ee'])
    await writeImage(path.join(dir, 'aptos/train_images', `${id}.png`));
  writeText(path.join(dir, 'aptos/test.csv'), 'id_code\n0005cfc8afb6\n');
});
afterAll(() => cleanup(dir));

const aptos = (extra: object = {}) =>
  resolveDataPaths(dataConfigSchema.parse({ source: 'aptos', root: 'aptos', cache: { disk: false }, ...extra }), dir);

describe('aptos source', () => {
  it('reads train.csv and train_images/<id_code>.png; missing images in one warning', async () => {
    const ds = await loadDataset(aptos(), { seed: 1 });
    expect(ds.classes).toEqual(['No DR', 'Mild', 'Moderate', 'Severe', 'Proliferative']);
    expect(ds.samples.map((s) => [s.id, s.label])).toEqual([
      ['000c1434d8d7.png', 2],
      ['001639a390f0.png', 4],
      ['0024cdab0c1e.png', 1],
      ['002c21358ce6.png', 0],
      ['005b95c28852.png', 0],
      ['0083ee8054ee.png', 3],
    ]);
    expect(ds.samples.every((s) => s.group === undefined)).toBe(true);
    expect(ds.warnings).toEqual([expect.stringMatching(/^1 of 7 images listed in .*train\.csv are missing and were left out: ffa47f6a7bf4$/)]);
    const three = await loadDataset(aptos({ remap: 'dr-5to3' }), { seed: 1 });
    expect(three.samples.map((s) => three.classes[s.label!])).toEqual(['Mild', 'Proliferative', 'Mild', 'No DR', 'No DR', 'Proliferative']);
  });

  it('names the row of a bad diagnosis, and the file of a missing column', async () => {
    writeText(path.join(dir, 'aptos/bad.csv'), 'id_code,diagnosis\n000c1434d8d7,2\n001639a390f0,five\n');
    await expect(loadDataset(aptos({ csv: 'bad.csv' }), { seed: 1 })).rejects.toThrow(
      /bad\.csv row 3: diagnosis "five" of 001639a390f0 is not a DR grade 0-4/,
    );
    await expect(loadDataset(aptos({ csv: 'test.csv' }), { seed: 1 })).rejects.toThrow(/test\.csv: no column "diagnosis"/);
    await expect(loadDataset(aptos({ strict: true }), { seed: 1 })).rejects.toThrow(/train\.csv row 8: image ffa47f6a7bf4 not found/);
  });
});
