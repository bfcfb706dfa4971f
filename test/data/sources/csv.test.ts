import * as fs from 'fs';
import * as path from 'path';
import { dataConfigSchema, resolveDataPaths } from '../../../src/data/config';
import { loadDataset } from '../../../src/data/sources';
import { splitDataset } from '../../../src/data/split';
import { cleanup, FIXTURE_HEIGHT, FIXTURE_WIDTH, hasSharedData, makeTempDir, SHARED_DATA, writeImage } from '../fixtures';

let dir: string;
beforeAll(async () => {
  dir = makeTempDir('csv');
  for (const name of ['img_001.jpg', 'img_002.jpg', 'img_003.jpg', 'img_004.png']) await writeImage(path.join(dir, 'images', name));
  for (const name of ['10_left.jpeg', '10_right.jpeg', '13_left.jpeg', '13_right.jpeg', '15_left.jpeg'])
    await writeImage(path.join(dir, 'kaggle/train', name));
});
afterAll(() => cleanup(dir));

function writeCsv(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const HUAWEI_HEADER = 'Image_File,cataract,glaucoma,diabetic_retinopathy,normal_fundus';
const LABELS = ['cataract', 'glaucoma', 'diabetic_retinopathy', 'normal_fundus'];

/** Parses and resolves like the config loader does, with the csv's folder as the config folder. */
const csvConfig = (fields: object) => resolveDataPaths(dataConfigSchema.parse({ source: 'csv', cache: { disk: false }, ...fields }), dir);

describe('csv source, multi-label (the Huawei seed layout)', () => {
  it('reads the 0/1 columns in the configured order', async () => {
    writeCsv('huawei.csv', `${HUAWEI_HEADER}\nimg_001.jpg,1,0,0,0\nimg_002.jpg,0,1,1,0\nimg_003.jpg,0,0,0,1\nimg_004.png,1,1,0,0\n`);
    const ds = await loadDataset(csvConfig({ csv: 'huawei.csv', imagesDir: 'images', labelColumns: LABELS }), { seed: 1 });
    expect(ds.task).toBe('multilabel');
    expect(ds.classes).toEqual(LABELS);
    expect(ds.samples.map((s) => [s.id, s.labels])).toEqual([
      ['img_001.jpg', [1, 0, 0, 0]],
      ['img_002.jpg', [0, 1, 1, 0]],
      ['img_003.jpg', [0, 0, 0, 1]],
      ['img_004.png', [1, 1, 0, 0]],
    ]);
    expect(ds.samples[3].file).toBe(path.join(dir, 'images/img_004.png'));
    expect(await ds.loadImage(ds.samples[0])).toMatchObject({ width: FIXTURE_WIDTH, height: FIXTURE_HEIGHT });
    expect((await ds.loadImageAtSize!(ds.samples[0], 6)).data.length).toBe(6 * 6 * 3);
  });

  it('matches header spellings loosely and copes with a BOM, CRLF, blank lines and 1.0', async () => {
    writeCsv(
      'odd.csv',
      '\ufeff image_file ,Cataract , glaucoma,Diabetic Retinopathy,normal_fundus\r\n\r\nimg_001.jpg,1.0,0,0,0\r\nimg_003.jpg,0,1,1,1\r\n',
    );
    const ds = await loadDataset(
      csvConfig({ csv: 'odd.csv', imagesDir: 'images', labelColumns: ['cataract', 'glaucoma', 'diabetic_retinopathy', 'normal_fundus'] }),
      { seed: 1 },
    );
    expect(ds.samples.map((s) => s.labels)).toEqual([
      [1, 0, 0, 0],
      [0, 1, 1, 1],
    ]);
  });

  it('names file, row and column for a bad 0/1 cell, a missing column and an empty class', async () => {
    writeCsv('two.csv', `${HUAWEI_HEADER}\nimg_001.jpg,1,0,0,0\nimg_002.jpg,0,2,0,0\n`);
    await expect(loadDataset(csvConfig({ csv: 'two.csv', imagesDir: 'images', labelColumns: LABELS }), { seed: 1 })).rejects.toThrow(
      /two\.csv row 3, column "glaucoma": "2" is not 0 or 1/,
    );
    writeCsv('nocol.csv', 'Image_File,cataract,glaucoma\nimg_001.jpg,1,0\n');
    await expect(loadDataset(csvConfig({ csv: 'nocol.csv', imagesDir: 'images', labelColumns: LABELS }), { seed: 1 })).rejects.toThrow(
      /nocol\.csv: no column "diabetic_retinopathy" \(data\.labelColumns\); its columns are: Image_File, cataract, glaucoma/,
    );
    await expect(loadDataset(csvConfig({ csv: 'nocol.csv', imageColumn: 'file', labelColumns: ['cataract'] }), { seed: 1 })).rejects.toThrow(
      /no column "file" \(data\.imageColumn\)/,
    );
    writeCsv('zero.csv', `${HUAWEI_HEADER}\nimg_001.jpg,1,0,0,0\nimg_002.jpg,1,0,0,1\n`);
    await expect(loadDataset(csvConfig({ csv: 'zero.csv', imagesDir: 'images', labelColumns: LABELS }), { seed: 1 })).rejects.toThrow(
      /zero\.csv: column "glaucoma" has no 1 .* class "glaucoma" is empty/,
    );
  });

  it('reports missing images (row and path), or skips them with a warning under skipBadImages', async () => {
    writeCsv('missing.csv', `${HUAWEI_HEADER}\nimg_001.jpg,1,0,0,0\nimg_404.jpg,0,1,0,0\nimg_002.jpg,0,1,0,0\nimg_405.jpg,0,1,0,0\n`);
    const cfg = { csv: 'missing.csv', imagesDir: 'images', labelColumns: ['cataract', 'glaucoma'] };
    await expect(loadDataset(csvConfig(cfg), { seed: 1 })).rejects.toThrow(
      /missing\.csv row 3: image not found: .*images\/img_404\.jpg \(and 1 more\)/,
    );
    const ds = await loadDataset(csvConfig({ ...cfg, skipBadImages: true }), { seed: 1 });
    expect(ds.samples.map((s) => s.id)).toEqual(['img_001.jpg', 'img_002.jpg']);
    expect(ds.warnings).toEqual([expect.stringMatching(/^2 of 4 images listed in .*missing\.csv are missing .*: img_404\.jpg, img_405\.jpg$/)]);
  });

  it('rejects a missing CSV, a duplicated image and a header-only file', async () => {
    await expect(loadDataset(csvConfig({ csv: 'nope.csv', labelColumns: ['a'] }), { seed: 1 })).rejects.toThrow(
      /data\.csv: file not found: .*nope\.csv/,
    );
    writeCsv('dup.csv', `${HUAWEI_HEADER}\nimg_001.jpg,1,0,0,0\nimg_002.jpg,0,1,0,0\nimg_001.jpg,0,1,0,0\n`);
    await expect(
      loadDataset(csvConfig({ csv: 'dup.csv', imagesDir: 'images', labelColumns: ['cataract', 'glaucoma'] }), { seed: 1 }),
    ).rejects.toThrow(/dup\.csv rows 2 and 4 both name image "img_001\.jpg"/);
    writeCsv('head.csv', `${HUAWEI_HEADER}\n`);
    await expect(loadDataset(csvConfig({ csv: 'head.csv', labelColumns: ['cataract'] }), { seed: 1 })).rejects.toThrow(
      /head\.csv has a header but no rows/,
    );
  });
});

describe('csv source, one class column (Kaggle DR style)', () => {
  it('sorts numeric classes numerically, appends the extension and groups by patient', async () => {
    writeCsv('kaggle/trainLabels.csv', 'image,level,patient\n10_left,0,10\n10_right,2,10\n13_left,10,13\n13_right,0,13\n15_left,2,15\n');
    const ds = await loadDataset(
      csvConfig({
        csv: 'kaggle/trainLabels.csv',
        imagesDir: 'kaggle/train',
        imageColumn: 'image',
        classColumn: 'level',
        groupColumn: 'patient',
        imageExtension: '.jpeg',
      }),
      { seed: 1 },
    );
    expect(ds.classes).toEqual(['0', '2', '10']);
    expect(ds.task).toBe('multiclass');
    expect(ds.samples.map((s) => [s.id, s.label, s.group])).toEqual([
      ['10_left.jpeg', 0, '10'],
      ['10_right.jpeg', 1, '10'],
      ['13_left.jpeg', 2, '13'],
      ['13_right.jpeg', 0, '13'],
      ['15_left.jpeg', 1, '15'],
    ]);
    const split = splitDataset(ds, { val: 0.2, test: 0.2, stratify: true }, 3);
    for (const pair of [
      [0, 1],
      [2, 3],
    ]) {
      const where = pair.map((i) => (split.train.includes(i) ? 'train' : split.val.includes(i) ? 'val' : 'test'));
      expect(where[0]).toBe(where[1]);
    }
  });

  it('uses data.classes for order; an unknown value or an absent class is an error naming it', async () => {
    writeCsv('kaggle/two.csv', 'image,diagnosis\n10_left,healthy\n10_right,glaucoma\n');
    const base = { csv: 'kaggle/two.csv', imagesDir: 'kaggle/train', imageColumn: 'image', classColumn: 'diagnosis', imageExtension: 'jpeg' };
    const ds = await loadDataset(csvConfig({ ...base, classes: ['healthy', 'glaucoma'] }), { seed: 1 });
    expect(ds.task).toBe('binary');
    expect(ds.samples.map((s) => s.label)).toEqual([0, 1]);
    await expect(loadDataset(csvConfig({ ...base, classes: ['healthy', 'suspect'] }), { seed: 1 })).rejects.toThrow(
      /two\.csv row 3, column "diagnosis": unknown class "glaucoma"; data\.classes lists healthy, suspect/,
    );
    await expect(loadDataset(csvConfig({ ...base, classes: ['healthy', 'glaucoma', 'suspect'] }), { seed: 1 })).rejects.toThrow(
      /no row with an image has class "suspect"/,
    );
    writeCsv('kaggle/one.csv', 'image,diagnosis\n10_left,healthy\n10_right,healthy\n');
    await expect(loadDataset(csvConfig({ ...base, csv: 'kaggle/one.csv' }), { seed: 1 })).rejects.toThrow(/holds only the class "healthy"/);
  });
});

describe('csv source: remap, rows without an image, split and group columns', () => {
  it("maps values with data.remap in its order; null drops rows with a warning (SMDG's -1 suspects)", async () => {
    writeCsv('smdg.csv', 'names,types,fundus\nA-1,1,img_001.jpg\nA-2,0,img_002.jpg\nA-3,-1,img_003.jpg\nA-4,0,img_004.png\nA-5,1,\n');
    const base = {
      csv: 'smdg.csv',
      imagesDir: 'images',
      imageColumn: 'fundus',
      classColumn: 'types',
      remap: { '0': 'normal', '1': 'glaucoma', '-1': null },
    };
    await expect(loadDataset(csvConfig(base), { seed: 1 })).rejects.toThrow(
      /smdg\.csv row 6: empty "fundus" cell; .*data\.skipRowsWithoutImage: true/,
    );
    const ds = await loadDataset(csvConfig({ ...base, skipRowsWithoutImage: true }), { seed: 1 });
    expect(ds.classes).toEqual(['normal', 'glaucoma']);
    expect(ds.samples.map((s) => [s.id, s.label])).toEqual([
      ['img_001.jpg', 1],
      ['img_002.jpg', 0],
      ['img_004.png', 0],
    ]);
    expect(ds.warnings).toEqual([
      expect.stringMatching(/^1 of 5 rows in .*smdg\.csv left out: data\.remap maps their value \(-1\) to null$/),
      expect.stringMatching(/^1 of 5 rows in .*smdg\.csv have no image in column "fundus" and were skipped$/),
    ]);
    await expect(
      loadDataset(csvConfig({ ...base, remap: { '0': 'normal', '1': 'glaucoma' }, skipRowsWithoutImage: true }), { seed: 1 }),
    ).rejects.toThrow(/smdg\.csv row 4, column "types": value "-1" is not in data\.remap/);
  });

  it('keeps an official split column and takes patients from <id>_left/right names unless a group column is given', async () => {
    writeCsv('kaggle/split.csv', 'image,level,set\n10_left,0,Training\n10_right,2,training\n13_left,2,valid\n13_right,0,Test\n15_left,2,\n');
    const base = { csv: 'kaggle/split.csv', imagesDir: 'kaggle/train', imageColumn: 'image', classColumn: 'level', imageExtension: '.jpeg' };
    const ds = await loadDataset(csvConfig({ ...base, splitColumn: 'set' }), { seed: 1 });
    expect(ds.samples.map((s) => [s.id, s.group, s.split])).toEqual([
      ['10_left.jpeg', '10', 'train'],
      ['10_right.jpeg', '10', 'train'],
      ['13_left.jpeg', '13', 'val'],
      ['13_right.jpeg', '13', 'test'],
      ['15_left.jpeg', '15', undefined],
    ]);
    const ungrouped = await loadDataset(csvConfig({ ...base, groupPattern: null }), { seed: 1 });
    expect(ungrouped.samples.every((s) => s.group === undefined)).toBe(true);
    writeCsv('kaggle/badsplit.csv', 'image,level,set\n10_left,0,holdout\n10_right,2,train\n');
    await expect(loadDataset(csvConfig({ ...base, csv: 'kaggle/badsplit.csv', splitColumn: 'set' }), { seed: 1 })).rejects.toThrow(
      /badsplit\.csv row 2, column "set": "holdout" is not a split/,
    );
  });
});

const real = hasSharedData ? describe : describe.skip;
if (!hasSharedData) console.log(`skipping the EyePACS CSV: ${SHARED_DATA} is absent`);

real('csv on ../shared/data/eyepacs-dr-130', () => {
  it('loads the images that exist (grades 50/20/20/20/20) and skips the rest of the full Kaggle list', async () => {
    const ds = await loadDataset(
      dataConfigSchema.parse({
        source: 'csv',
        csv: path.join(SHARED_DATA, 'eyepacs-dr-130/trainLabels.csv'),
        imagesDir: path.join(SHARED_DATA, 'eyepacs-dr-130/train'),
        imageColumn: 'image',
        classColumn: 'level',
        imageExtension: '.jpeg',
        skipBadImages: true,
        cache: { disk: false },
      }),
      { seed: 1 },
    );
    expect(ds.classes).toEqual(['0', '1', '2', '3', '4']);
    const counts = [0, 0, 0, 0, 0];
    for (const s of ds.samples) counts[s.label!]++;
    expect(counts).toEqual([50, 20, 20, 20, 20]);
    expect(ds.warnings[0]).toMatch(/^34996 of 35126 images listed/);
  });
});
