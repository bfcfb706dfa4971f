import * as fs from 'fs';
import * as path from 'path';
import { dataConfigSchema } from '../../../src/data/config';
import { loadDataset } from '../../../src/data/sources';
import { ImageBatches } from '../../../src/data/pipeline';
import { cleanup, FIXTURE_HEIGHT, FIXTURE_WIDTH, hasSharedData, makeTempDir, SHARED_DATA, writeImage } from '../fixtures';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('image-folder');
});
afterAll(() => cleanup(dir));

const folderConfig = (root: string, extra: object = {}) => dataConfigSchema.parse({ source: 'image-folder', root, cache: { disk: false }, ...extra });

describe('image-folder source', () => {
  it('takes classes from the sorted folder names and finds images of any listed extension, nested too', async () => {
    const root = path.join(dir, 'three');
    await writeImage(path.join(root, 'normal/n1.jpg'));
    await writeImage(path.join(root, 'normal/sub/n2.PNG'));
    await writeImage(path.join(root, 'cataract/c1.jpeg'));
    await writeImage(path.join(root, 'glaucoma/g1.png'));
    fs.writeFileSync(path.join(root, 'normal/readme.txt'), 'not an image');
    fs.writeFileSync(path.join(root, 'glaucoma/.DS_Store'), '');
    const ds = await loadDataset(folderConfig(root), { seed: 1 });
    expect(ds.classes).toEqual(['cataract', 'glaucoma', 'normal']);
    expect(ds.task).toBe('multiclass');
    expect(ds.samples.map((s) => [s.id, s.label])).toEqual([
      ['cataract/c1.jpeg', 0],
      ['glaucoma/g1.png', 1],
      ['normal/n1.jpg', 2],
      ['normal/sub/n2.PNG', 2],
    ]);
    expect(ds.samples[0].file).toBe(path.join(root, 'cataract/c1.jpeg'));
    expect(ds.warnings).toEqual([expect.stringMatching(/ignored 1 files under .*three without an image extension/)]);
    const img = await ds.loadImage(ds.samples[1]);
    expect(img).toMatchObject({ width: FIXTURE_WIDTH, height: FIXTURE_HEIGHT });
  });

  it('uses data.classes for the order, ignoring other folders with a warning; two classes are binary', async () => {
    const root = path.join(dir, 'three');
    const ds = await loadDataset(folderConfig(root, { classes: ['normal', 'glaucoma'] }), { seed: 1 });
    expect(ds.classes).toEqual(['normal', 'glaucoma']);
    expect(ds.task).toBe('binary');
    expect(ds.samples.map((s) => s.label)).toEqual([0, 0, 1]);
    expect(ds.warnings[0]).toMatch(/ignored folders not listed in data.classes: cataract/);
  });

  it('says what is wrong with the folder tree', async () => {
    await expect(loadDataset(folderConfig(path.join(dir, 'missing')), { seed: 1 })).rejects.toThrow(/data\.root: folder not found: .*missing/);
    const flat = path.join(dir, 'flat');
    await writeImage(path.join(flat, 'a.jpg'));
    await expect(loadDataset(folderConfig(flat), { seed: 1 })).rejects.toThrow(/has no class folders; put each class's images in/);
    const empty = path.join(dir, 'empty-class');
    await writeImage(path.join(empty, 'yes/a.jpg'));
    fs.mkdirSync(path.join(empty, 'no'), { recursive: true });
    fs.writeFileSync(path.join(empty, 'no/list.csv'), 'x');
    await expect(loadDataset(folderConfig(empty), { seed: 1 })).rejects.toThrow(/class folder .*empty-class\/no has no images/);
    await expect(loadDataset(folderConfig(path.join(dir, 'three'), { classes: ['normal', 'amd'] }), { seed: 1 })).rejects.toThrow(
      /data\.classes: no folder .*amd for class "amd"/,
    );
    const one = path.join(dir, 'one');
    await writeImage(path.join(one, 'only/a.jpg'));
    await expect(loadDataset(folderConfig(one), { seed: 1 })).rejects.toThrow(/only one class folder/);
  });

  it('a corrupt image fails the batch with a UserError naming it, or is skipped with skipBadImages', async () => {
    const root = path.join(dir, 'corrupt');
    await writeImage(path.join(root, 'a/good.jpg'));
    await writeImage(path.join(root, 'b/good.jpg'));
    fs.writeFileSync(path.join(root, 'b/broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    const ds = await loadDataset(folderConfig(root), { seed: 1 });
    const opts = {
      imageSize: 8,
      batchSize: 4,
      normalize: { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] },
      seed: 1,
      prefetch: 1,
    };
    const strict = new ImageBatches(ds, [0, 1, 2], opts);
    await expect(async () => {
      for await (const _ of strict.epoch(0)) void _;
    }).rejects.toThrow(/cannot decode image .*b\/broken\.jpg/);
    const lenient = new ImageBatches(ds, [0, 1, 2], { ...opts, skipBadImages: true });
    const batches = [];
    for await (const b of lenient.epoch(0)) batches.push(b);
    expect(batches).toHaveLength(1);
    expect(batches[0].size).toBe(2);
    expect([...lenient.skipped].map((i) => ds.samples[i].id)).toEqual(['b/broken.jpg']);
  });
});

describe('image-folder source: split folders and patients', () => {
  it('takes training/, validation/ and test/ folders as official splits, classes from inside them', async () => {
    const root = path.join(dir, 'selfie');
    await writeImage(path.join(root, 'training/glaucoma/1_left.jpg'));
    await writeImage(path.join(root, 'training/glaucoma/1_right.jpg'));
    await writeImage(path.join(root, 'training/normal/2_left.jpg'));
    await writeImage(path.join(root, 'validation/glaucoma/3_left.jpg'));
    await writeImage(path.join(root, 'validation/normal/4_right.jpg'));
    await writeImage(path.join(root, 'test/normal/5_left.jpg'));
    const ds = await loadDataset(folderConfig(root), { seed: 1 });
    // "normal" names the healthy class, so glaucoma is the positive (second) class.
    expect(ds.classes).toEqual(['normal', 'glaucoma']);
    expect(ds.samples.map((s) => [s.id, s.label, s.split, s.group])).toEqual([
      ['training/glaucoma/1_left.jpg', 1, 'train', '1'],
      ['training/glaucoma/1_right.jpg', 1, 'train', '1'],
      ['validation/glaucoma/3_left.jpg', 1, 'val', '3'],
      ['test/normal/5_left.jpg', 0, 'test', '5'],
      ['training/normal/2_left.jpg', 0, 'train', '2'],
      ['validation/normal/4_right.jpg', 0, 'val', '4'],
    ]);
    const pooled = await loadDataset(folderConfig(root, { officialSplit: false }), { seed: 1 });
    expect(pooled.samples.every((s) => s.split === undefined)).toBe(true);
    await expect(loadDataset(folderConfig(root, { classes: ['glaucoma', 'amd'] }), { seed: 1 })).rejects.toThrow(
      /no folder .*<split>\/amd for class "amd"; the class folders inside test, training, validation are: glaucoma, normal/,
    );
  });

  it('groups <id>_left/<id>_right across class folders (one picture filed under two classes stays in one split)', async () => {
    const root = path.join(dir, 'pairs');
    await writeImage(path.join(root, 'cataract/625_left.jpg'));
    await writeImage(path.join(root, 'glaucoma/625_left.jpg'));
    await writeImage(path.join(root, 'glaucoma/625_right.jpg'));
    await writeImage(path.join(root, 'glaucoma/Glaucoma_001.png'));
    const ds = await loadDataset(folderConfig(root), { seed: 1 });
    expect(ds.samples.map((s) => s.group)).toEqual(['625', '625', '625', undefined]);
    const custom = await loadDataset(folderConfig(root, { groupPattern: '^([a-z]+)_' }), { seed: 1 });
    expect(custom.samples.map((s) => s.group)).toEqual([undefined, undefined, undefined, 'glaucoma']);
  });
});

const real = hasSharedData ? describe : describe.skip;
if (!hasSharedData) console.log(`skipping the four-class image folder: ${SHARED_DATA} is absent`);

real('image-folder on ../shared/data/eye-diseases-4class', () => {
  it('loads the four classes of the Huawei seed', async () => {
    const ds = await loadDataset(folderConfig(path.join(SHARED_DATA, 'eye-diseases-4class')), { seed: 1 });
    expect(ds.classes).toEqual(['cataract', 'diabetic_retinopathy', 'glaucoma', 'normal']);
    expect(ds.samples.length).toBeGreaterThan(3000);
    const counts = [0, 0, 0, 0];
    for (const s of ds.samples) counts[s.label!]++;
    counts.forEach((c) => expect(c).toBeGreaterThan(500));
  });
});
