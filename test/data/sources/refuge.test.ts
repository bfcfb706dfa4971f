import * as fs from 'fs';
import * as path from 'path';
import { dataConfigSchema, resolveDataPaths } from '../../../src/data/config';
import { loadDataset } from '../../../src/data/sources';
import { splitDataset } from '../../../src/data/split';
import { cleanup, makeTempDir, writeImage, writeSheet, writeText } from '../fixtures';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('refuge');
});
afterAll(() => cleanup(dir));

const refuge = (root: string, extra: object = {}) =>
  resolveDataPaths(dataConfigSchema.parse({ source: 'refuge', root, cache: { disk: false }, ...extra }), dir);

/** The 2018 release, as unzipped from the challenge's archives, with a few images per set. */
async function release2018(root: string): Promise<void> {
  for (const n of ['g0001', 'g0002']) await writeImage(path.join(root, 'Training400/Glaucoma', `${n}.jpg`));
  for (const n of ['n0001', 'n0002', 'n0003']) await writeImage(path.join(root, 'Training400/Non-Glaucoma', `${n}.jpg`));
  for (const n of ['V0001', 'V0002', 'V0003']) await writeImage(path.join(root, 'REFUGE-Validation400', `${n}.jpg`));
  for (const n of ['T0001', 'T0002', 'T0003']) await writeImage(path.join(root, 'Test400', `${n}.jpg`));
  // Annotations that must not become samples: masks (bmp, in Glaucoma/ folders) and illustrations (jpg).
  await writeImage(path.join(root, 'Annotation-Training400/Disc_Cup_Masks/Glaucoma/g0001.png'));
  await writeImage(path.join(root, 'Annotation-Training400/Disc_Cup_Fovea_Illustration/g0001.jpg'));
  writeSheet(path.join(root, 'Annotation-Training400/Fovea_location.xlsx'), [
    ['ID', 'ImgName', 'Fovea_X', 'Fovea_Y'],
    [1, 'g0001.jpg', 1000.5, 1100.2],
  ]);
  writeSheet(path.join(root, 'REFUGE-Validation400-GT/Fovea_locations.xlsx'), [
    ['ID', 'ImgName', 'Glaucoma Label', 'Fovea_X', 'Fovea_Y'],
    [1, 'V0001.jpg', 0, 800.1, 810.2],
    [2, 'V0002.jpg', 1, 801.1, 811.2],
    [3, 'V0003.jpg', 0, 802.1, 812.2],
  ]);
  writeSheet(path.join(root, 'REFUGE-Test-GT/Glaucoma_label_and_Fovea_location.xlsx'), [
    ['ID ', 'ImgName', 'Label(Glaucoma=1)', 'Fovea_X', 'Fovea_Y'],
    [1, 'T0001.jpg', 1, 820, 830],
    [2, 'T0002.jpg', 0, 821, 831],
    [3, 'T0003.jpg', 0, 822, 832],
  ]);
}

describe('refuge source', () => {
  it('reads the 2018 layout: folder labels for training, xlsx labels for validation and test, official splits', async () => {
    const root = path.join(dir, 'REFUGE');
    await release2018(root);
    const ds = await loadDataset(refuge(root), { seed: 1 });
    expect(ds.classes).toEqual(['non-glaucoma', 'glaucoma']);
    expect(ds.task).toBe('binary');
    expect(ds.warnings).toEqual([]);
    const rows = Object.fromEntries(ds.samples.map((s) => [s.id, [s.label, s.split]]));
    expect(rows).toEqual({
      'REFUGE-Validation400/V0001.jpg': [0, 'val'],
      'REFUGE-Validation400/V0002.jpg': [1, 'val'],
      'REFUGE-Validation400/V0003.jpg': [0, 'val'],
      'Test400/T0001.jpg': [1, 'test'],
      'Test400/T0002.jpg': [0, 'test'],
      'Test400/T0003.jpg': [0, 'test'],
      'Training400/Glaucoma/g0001.jpg': [1, 'train'],
      'Training400/Glaucoma/g0002.jpg': [1, 'train'],
      'Training400/Non-Glaucoma/n0001.jpg': [0, 'train'],
      'Training400/Non-Glaucoma/n0002.jpg': [0, 'train'],
      'Training400/Non-Glaucoma/n0003.jpg': [0, 'train'],
    });
    expect(ds.samples.find((s) => s.id.endsWith('V0002.jpg'))!.origin).toBe('REFUGE-Validation400-GT/Fovea_locations.xlsx row 3');
    const split = splitDataset(ds, refuge(root).split, 1);
    expect([split.train.length, split.val.length, split.test.length]).toEqual([5, 3, 3]);
    // officialSplit: false pools them for data.split.
    const pooled = await loadDataset(refuge(root, { officialSplit: false }), { seed: 1 });
    expect(pooled.samples.every((s) => s.split === undefined)).toBe(true);
  });

  it('counts label rows without an image in one warning (data.strict: an error naming the row)', async () => {
    const root = path.join(dir, 'partial');
    await release2018(root);
    fs.rmSync(path.join(root, 'Test400/T0003.jpg'));
    const ds = await loadDataset(refuge(root), { seed: 1 });
    expect(ds.samples).toHaveLength(10);
    expect(ds.warnings).toEqual([expect.stringMatching(/^1 of 6 images listed in the REFUGE label files are missing .*: T0003\.jpg$/)]);
    await expect(loadDataset(refuge(root, { strict: true }), { seed: 1 })).rejects.toThrow(
      /REFUGE-Test-GT\/Glaucoma_label_and_Fovea_location\.xlsx row 4: image T0003\.jpg not found.*data\.strict: false/,
    );
  });

  it('reads REFUGE2 label files: glaucoma.csv and the header-less task1.xls', async () => {
    const root = path.join(dir, 'REFUGE2');
    for (const n of ['a1', 'a2', 'a3']) await writeImage(path.join(root, 'train/images', `${n}.jpg`));
    for (const n of ['b1', 'b2']) await writeImage(path.join(root, 'val/images', `${n}.png`));
    writeText(path.join(root, 'train/glaucoma.csv'), 'FileName,Glaucoma Risk\na1.jpg,1\na2.jpg,0\na3.jpg,0\n');
    writeSheet(path.join(root, 'val/task1.xls'), [
      ['b1.png', 0],
      ['b2.png', 1],
    ]);
    const ds = await loadDataset(refuge(root), { seed: 1 });
    expect(ds.samples.map((s) => [s.id, s.label, s.split])).toEqual([
      ['train/images/a1.jpg', 1, 'train'],
      ['train/images/a2.jpg', 0, 'train'],
      ['train/images/a3.jpg', 0, 'train'],
      ['val/images/b1.png', 0, 'val'],
      ['val/images/b2.png', 1, 'val'],
    ]);
  });

  it('names the file and row of a label that is not 0/1, and a label that contradicts the folder', async () => {
    const root = path.join(dir, 'bad');
    await release2018(root);
    writeSheet(path.join(root, 'REFUGE-Validation400-GT/Fovea_locations.xlsx'), [
      ['ID', 'ImgName', 'Glaucoma Label'],
      [1, 'V0001.jpg', 0],
      [2, 'V0002.jpg', 0.7],
    ]);
    await expect(loadDataset(refuge(root), { seed: 1 })).rejects.toThrow(
      /Fovea_locations\.xlsx row 3: glaucoma label "0\.7" of V0002\.jpg is not 0 or 1/,
    );
    writeSheet(path.join(root, 'REFUGE-Validation400-GT/Fovea_locations.xlsx'), [
      ['ImgName', 'Glaucoma Label'],
      ['g0001.jpg', 0],
    ]);
    await expect(loadDataset(refuge(root), { seed: 1 })).rejects.toThrow(
      /Training400\/Glaucoma\/g0001\.jpg lies in a Glaucoma folder, but .*Fovea_locations\.xlsx row 2 labels it 0/,
    );
  });

  it('reads only data.labelFiles when given, and says when one has no labels', async () => {
    const root = path.join(dir, 'listed');
    await release2018(root);
    const ds = await loadDataset(refuge(root, { labelFiles: ['REFUGE-Validation400-GT/Fovea_locations.xlsx'] }), { seed: 1 });
    // The test images have no label now: left out with a warning.
    expect(ds.samples.filter((s) => s.split === 'test')).toEqual([]);
    expect(ds.warnings).toEqual([expect.stringMatching(/^3 images under .* have no glaucoma label .*: Test400\/T0001\.jpg/)]);
    await expect(loadDataset(refuge(root, { labelFiles: ['Annotation-Training400/Fovea_location.xlsx'] }), { seed: 1 })).rejects.toThrow(
      /data\.labelFiles: .*Fovea_location\.xlsx has no image-name and glaucoma-label columns/,
    );
    await expect(loadDataset(refuge(path.join(dir, 'nowhere')), { seed: 1 })).rejects.toThrow(/data\.root: folder not found/);
  });
});
