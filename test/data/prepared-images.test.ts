import * as fs from 'fs';
import * as path from 'path';
import { dataConfigSchema } from '../../src/data/config';
import * as image from '../../src/data/image';
import { ImageCache } from '../../src/data/image-cache';
import { ImageBatches } from '../../src/data/pipeline';
import { loadDataset } from '../../src/data/sources';
import { cleanup, makeTempDir, writeFundus, writeImage, writeText } from './fixtures';

let dir: string;
let cacheDir: string;
beforeAll(async () => {
  dir = makeTempDir('prepared');
  cacheDir = path.join(dir, 'cache');
  await writeFundus(path.join(dir, 'set/a/1_left.jpg'), { width: 120, height: 90, cx: 60, cy: 45, radius: 44 });
  await writeFundus(path.join(dir, 'set/a/1_right.jpg'), { width: 120, height: 90, cx: 58, cy: 46, radius: 42, rgb: [170, 80, 50] });
  await writeFundus(path.join(dir, 'set/b/2_left.png'), { width: 100, height: 100, cx: 50, cy: 50, radius: 40, rgb: [120, 140, 60] });
  await writeFundus(path.join(dir, 'set/b/3_left.jpg'), { width: 140, height: 100, cx: 70, cy: 52, radius: 48, rgb: [200, 100, 20] });
});
afterAll(() => cleanup(dir));
afterEach(() => jest.restoreAllMocks());

const folder = (root: string, extra: object = {}) => dataConfigSchema.parse({ source: 'image-folder', root, cache: { dir: cacheDir }, ...extra });
const opts = {
  imageSize: 24,
  batchSize: 2,
  normalize: { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] },
  seed: 3,
  prefetch: 1,
};

async function epochX(ds: Awaited<ReturnType<typeof loadDataset>>, cacheBytes = 0): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for await (const b of new ImageBatches(
    ds,
    ds.samples.map((_, i) => i),
    { ...opts, cache: new ImageCache(cacheBytes) },
  ).epoch(0))
    out.push(b.x);
  return out;
}

describe('prepared images: preprocessing, size check and the disk cache', () => {
  it('a second run decodes nothing: every image comes from the disk cache, identical', async () => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const cfg = folder(path.join(dir, 'set'), { preprocess: { fovCrop: true, clahe: true } });
    const first = await epochX(await loadDataset(cfg, { seed: 1 }));
    const entries = fs.readdirSync(cacheDir).flatMap((d) => fs.readdirSync(path.join(cacheDir, d)));
    expect(entries).toHaveLength(4);
    const decodes = [
      jest.spyOn(image, 'decodeImage'),
      jest.spyOn(image, 'decodeImageAtSize'),
      jest.spyOn(image, 'decodeImageInside'),
      jest.spyOn(image, 'imageDimensions'),
    ];
    const second = await epochX(await loadDataset(cfg, { seed: 1 }));
    for (const spy of decodes) expect(spy).not.toHaveBeenCalled();
    expect(second).toEqual(first);
  });

  it('keys entries by content, settings and size: another setting or size misses; a copied file hits', async () => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const count = () => fs.readdirSync(cacheDir).flatMap((d) => fs.readdirSync(path.join(cacheDir, d))).length;
    await epochX(await loadDataset(folder(path.join(dir, 'set')), { seed: 1 }));
    expect(count()).toBe(4);
    await epochX(await loadDataset(folder(path.join(dir, 'set'), { preprocess: { fovCrop: true } }), { seed: 1 }));
    expect(count()).toBe(8);
    // The same images elsewhere (new paths and times, same bytes) are already cached.
    fs.cpSync(path.join(dir, 'set'), path.join(dir, 'copy'), { recursive: true });
    const spy = jest.spyOn(image, 'decodeImageInside');
    await epochX(await loadDataset(folder(path.join(dir, 'copy'), { preprocess: { fovCrop: true } }), { seed: 1 }));
    expect(spy).not.toHaveBeenCalled();
    expect(count()).toBe(8);
    // Changed content misses.
    await writeFundus(path.join(dir, 'copy/a/1_left.jpg'), { width: 120, height: 90, cx: 60, cy: 45, radius: 30 });
    await epochX(await loadDataset(folder(path.join(dir, 'copy'), { preprocess: { fovCrop: true } }), { seed: 1 }));
    expect(count()).toBe(9);
  });

  it('without the disk cache writes nothing; a cache folder that cannot be written is reported once and skipped', async () => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    await epochX(await loadDataset(folder(path.join(dir, 'set'), { cache: { disk: false, dir: cacheDir } }), { seed: 1 }));
    expect(fs.existsSync(cacheDir)).toBe(false);
    const blocker = writeText(path.join(dir, 'blocker'), 'a file, not a folder');
    const warnings: string[] = [];
    const ds = await loadDataset(folder(path.join(dir, 'set'), { cache: { dir: path.join(blocker, 'cache') } }), {
      seed: 1,
      warn: (l) => warnings.push(l),
    });
    expect(await epochX(ds)).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/data\.cache: cannot write to .*blocker\/cache .*going on without the disk cache/);
  });

  it('a relative cache folder is taken from the working directory given', async () => {
    const ds = await loadDataset(folder(path.join(dir, 'set'), { cache: { dir: 'rel-cache' } }), { seed: 1, cwd: dir });
    await ds.loadImageAtSize!(ds.samples[0], 16);
    expect(fs.existsSync(path.join(dir, 'rel-cache'))).toBe(true);
  });

  it('rejects an image below data.minImageSize, naming it, or skips it with skipBadImages', async () => {
    const root = path.join(dir, 'small');
    await writeImage(path.join(root, 'a/ok.png'), { width: 40, height: 40 });
    await writeImage(path.join(root, 'b/ok.png'), { width: 40, height: 40 });
    await writeImage(path.join(root, 'b/dot.png'), { width: 1, height: 1 });
    const ds = await loadDataset(folder(root, { cache: { disk: false } }), { seed: 1 });
    await expect(epochX(ds)).rejects.toThrow(/image .*b\/dot\.png is 1x1 pixels, below data\.minImageSize \(32\).*skipBadImages/);
    const lenient = new ImageBatches(ds, [0, 1, 2], { ...opts, skipBadImages: true });
    let served = 0;
    for await (const b of lenient.epoch(0)) served += b.size;
    expect(served).toBe(2);
    expect([...lenient.skipped].map((i) => ds.samples[i].id)).toEqual(['b/dot.png']);
    const looser = await loadDataset(folder(root, { cache: { disk: false }, minImageSize: 1 }), { seed: 1 });
    expect(await looser.loadImageAtSize!(looser.samples[1], 8)).toMatchObject({ width: 8, height: 8 });
  });

  it('names the label row of a corrupt or truncated image', async () => {
    const root = path.join(dir, 'rows');
    await writeImage(path.join(root, 'good.jpg'));
    await writeFundus(path.join(root, 'whole.jpg'), { width: 200, height: 150, cx: 100, cy: 75, radius: 70 });
    const bytes = fs.readFileSync(path.join(root, 'whole.jpg'));
    fs.writeFileSync(path.join(root, 'cut.jpg'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    writeText(path.join(root, 'labels.csv'), 'Image_File,a,b\ngood.jpg,1,0\ncut.jpg,0,1\n');
    const ds = await loadDataset(
      dataConfigSchema.parse({ source: 'csv', csv: path.join(root, 'labels.csv'), labelColumns: ['a', 'b'], cache: { disk: false } }),
      { seed: 1 },
    );
    const err = (await ds.loadImageAtSize!(ds.samples[1], 16).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('UserError');
    expect(err.message).toMatch(/^cannot decode image .*cut\.jpg \(labels\.csv row 3\)/);
    expect(err.message).not.toMatch(/\n/);
  });
});
