import * as path from 'path';
import { dataConfigSchema, resolveDataPaths } from '../../../src/data/config';
import { loadDataset, odirClassOfKeyword, odirEyeLabels, splitKeywords } from '../../../src/data/sources';
import { cleanup, makeTempDir, writeImage, writeSheet, writeText } from '../fixtures';

const C = '\uFF0C'; // the full-width comma between ODIR keywords
const HEADER = [
  'ID',
  'Patient Age',
  'Patient Sex',
  'Left-Fundus',
  'Right-Fundus',
  'Left-Diagnostic Keywords',
  'Right-Diagnostic Keywords',
  'N',
  'D',
  'G',
  'C',
  'A',
  'H',
  'M',
  'O',
];
const ROWS = [
  [0, 69, 'Female', '0_left.jpg', '0_right.jpg', 'cataract', 'normal fundus', 0, 0, 0, 1, 0, 0, 0, 0],
  [1, 57, 'Male', '1_left.jpg', '1_right.jpg', 'normal fundus', 'normal fundus', 1, 0, 0, 0, 0, 0, 0, 0],
  [
    2,
    42,
    'Male',
    '2_left.jpg',
    '2_right.jpg',
    `laser spot${C}moderate non proliferative retinopathy`,
    `moderate non proliferative retinopathy`,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    1,
  ],
  [4, 53, 'Male', '4_left.jpg', '4_right.jpg', `suspected glaucoma`, `lens dust${C}normal fundus`, 0, 0, 1, 0, 0, 0, 0, 0],
  [
    5,
    50,
    'Female',
    '5_left.jpg',
    '5_right.jpg',
    `dry age-related macular degeneration${C}hypertensive retinopathy`,
    `pathological myopia`,
    0,
    0,
    0,
    0,
    1,
    1,
    1,
    0,
  ],
  [6, 60, 'Male', '6_left.jpg', '6_right.jpg', 'anterior segment image', `lens dust`, 0, 0, 0, 0, 0, 0, 0, 1],
];

let dir: string;
beforeAll(async () => {
  dir = makeTempDir('odir');
  const root = path.join(dir, 'ODIR-5K');
  writeSheet(path.join(root, 'ODIR-5K_Training_Annotations(Updated)_V2.xlsx'), [HEADER, ...ROWS]);
  for (const r of ROWS) for (const f of [r[3], r[4]] as string[]) await writeImage(path.join(root, 'ODIR-5K_Training_Images', f));
  await writeImage(path.join(root, 'ODIR-5K_Testing_Images/937_left.jpg'));
});
afterAll(() => cleanup(dir));

const odir = (root: string, extra: object = {}) =>
  resolveDataPaths(dataConfigSchema.parse({ source: 'odir', root, cache: { disk: false }, ...extra }), dir);

describe('ODIR keywords', () => {
  it('split on the full-width comma (and a plain one), lower case, spaces collapsed', () => {
    expect(splitKeywords(`Laser Spot${C}moderate  non proliferative retinopathy, drusen`)).toEqual([
      'laser spot',
      'moderate non proliferative retinopathy',
      'drusen',
    ]);
  });
  it('map to the eight classes as documented', () => {
    const cases: Array<[string, string]> = [
      ['normal fundus', 'N'],
      ['mild nonproliferative retinopathy', 'D'],
      ['moderate non proliferative retinopathy', 'D'],
      ['severe proliferative diabetic retinopathy', 'D'],
      ['diabetic retinopathy', 'D'],
      ['glaucoma', 'G'],
      ['suspected glaucoma', 'G'],
      ['cataract', 'C'],
      ['wet age-related macular degeneration', 'A'],
      ['dry age-related macular degeneration', 'A'],
      ['hypertensive retinopathy', 'H'],
      ['pathological myopia', 'M'],
      ['myopia retinopathy', 'M'],
      ['drusen', 'O'],
      ['epiretinal membrane', 'O'],
      ['branch retinal vein occlusion', 'O'],
      ['laser spot', 'O'],
    ];
    for (const [k, c] of cases) expect([k, odirClassOfKeyword(k)]).toEqual([k, c]);
  });
  it('ignore neutral keywords and flag pictures that are no fundus photograph', () => {
    expect([...odirEyeLabels(`lens dust${C}normal fundus`).classes]).toEqual(['N']);
    expect(odirEyeLabels('low image quality').classes.size).toBe(0);
    expect(odirEyeLabels('anterior segment image').notFundus).toBe(true);
  });
});

describe('odir source', () => {
  it('gives each eye its own labels from its keywords, both eyes one patient group', async () => {
    const ds = await loadDataset(odir('ODIR-5K'), { seed: 1 });
    expect(ds.task).toBe('multilabel');
    expect(ds.classes).toEqual(['N', 'D', 'G', 'C', 'A', 'H', 'M', 'O']);
    const by = Object.fromEntries(ds.samples.map((s) => [s.id, s.labels!.map((v, k) => (v ? ds.classes[k] : '')).join('')]));
    expect(by).toEqual({
      '0_left.jpg': 'C',
      '0_right.jpg': 'N',
      '1_left.jpg': 'N',
      '1_right.jpg': 'N',
      '2_left.jpg': 'DO',
      '2_right.jpg': 'D',
      '4_left.jpg': 'G',
      '4_right.jpg': 'N',
      '5_left.jpg': 'AH',
      '5_right.jpg': 'M',
    });
    expect(ds.samples.find((s) => s.id === '5_right.jpg')).toMatchObject({
      group: '5',
      origin: 'ODIR-5K_Training_Annotations(Updated)_V2.xlsx row 6, Right-Fundus',
    });
    expect(ds.warnings).toEqual([
      '1 ODIR images are described as "anterior segment image" or "no fundus image" and were left out',
      expect.stringMatching(/^1 ODIR images have none of the classes .* and were left out$/),
      // Patient 0's N flag is 0 although one eye is normal: that agrees (N = both eyes normal). Patient 6 has O without an O keyword.
      expect.stringMatching(/^1 ODIR patients' N-O flags differ .*\(row 7 \(ID 6\)\)/),
    ]);
  });

  it('takes a subset of classes, leaving out eyes with none of them', async () => {
    const ds = await loadDataset(odir('ODIR-5K', { classes: ['N', 'D', 'G', 'C'] }), { seed: 1 });
    expect(ds.classes).toEqual(['N', 'D', 'G', 'C']);
    expect(ds.samples.map((s) => s.id)).not.toContain('5_left.jpg');
    expect(ds.samples).toHaveLength(8);
  });

  it("reads the Kaggle copy's full_df.csv (one row per eye, patients repeated) and finds the training images", async () => {
    const root = path.join(dir, 'kaggle-odir');
    const lines = ROWS.slice(0, 3)
      .flatMap((r) => [r, r])
      .map((r) => [...r, 'x'].join(','));
    writeText(path.join(root, 'full_df.csv'), `${[...HEADER, 'filepath'].join(',')}\n${lines.join('\n')}\n`);
    for (const r of ROWS.slice(0, 3)) {
      for (const f of [r[3], r[4]] as string[]) {
        await writeImage(path.join(root, 'ODIR-5K/ODIR-5K/Training Images', f));
        await writeImage(path.join(root, 'preprocessed_images', f));
      }
    }
    const ds = await loadDataset(odir('kaggle-odir', { classes: ['N', 'D', 'C', 'O'] }), { seed: 1 });
    expect(ds.samples).toHaveLength(6);
    expect(ds.samples[0].file).toBe(path.join(root, 'ODIR-5K/ODIR-5K/Training Images/0_left.jpg'));
  });

  it('names the missing column, the row of a patient described twice, and reports absent images', async () => {
    const root = path.join(dir, 'bad');
    writeSheet(path.join(root, 'data.xlsx'), [
      HEADER.filter((h) => h !== 'Right-Diagnostic Keywords'),
      [0, 1, 'F', '0_left.jpg', '0_right.jpg', 'cataract', 0],
    ]);
    await expect(loadDataset(odir('bad', { labels: 'data.xlsx' }), { seed: 1 })).rejects.toThrow(/data\.xlsx: no column "Right-Diagnostic Keywords"/);
    writeSheet(path.join(root, 'data.xlsx'), [HEADER, ROWS[0], [0, 1, 'F', '9_left.jpg', '9_right.jpg', 'cataract', 'cataract']]);
    await expect(loadDataset(odir('bad', { labels: 'data.xlsx', imagesDir: '.' }), { seed: 1 })).rejects.toThrow(
      /rows 2 and 3 both describe patient 0/,
    );
    writeSheet(path.join(root, 'data.xlsx'), [HEADER, ...ROWS.slice(0, 2)]);
    await writeImage(path.join(root, 'images/0_left.jpg'));
    await writeImage(path.join(root, 'images/1_left.jpg'));
    await writeImage(path.join(root, 'images/1_right.jpg'));
    const ds = await loadDataset(odir('bad', { labels: 'data.xlsx', imagesDir: 'images', classes: ['N', 'C'] }), { seed: 1 });
    expect(ds.warnings[0]).toMatch(/^1 of 4 images listed in .*data\.xlsx are missing and were left out: 0_right\.jpg$/);
  });
});
