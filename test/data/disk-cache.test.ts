import * as fs from 'fs';
import * as path from 'path';
import { DiskImageCache } from '../../src/data/disk-cache';
import { cleanup, makeTempDir } from './fixtures';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('disk-cache');
});
afterAll(() => cleanup(dir));

describe('DiskImageCache', () => {
  const img = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 10) };

  it('round-trips an image under dir/<2 hex>/<key>.rgb and misses unknown keys', async () => {
    const cache = new DiskImageCache(dir);
    expect(await cache.get('ab12')).toBeUndefined();
    await cache.set('ab12', img);
    expect(cache.fileOf('ab12')).toBe(path.join(dir, 'ab', 'ab12.rgb'));
    const back = await cache.get('ab12');
    expect(back).toMatchObject({ width: 3, height: 2 });
    expect(Array.from(back!.data)).toEqual(Array.from(img.data));
    // No temporary files are left behind.
    expect(fs.readdirSync(path.join(dir, 'ab'))).toEqual(['ab12.rgb']);
  });

  it('treats a torn or foreign file as absent, and overwrites it', async () => {
    const cache = new DiskImageCache(dir);
    await cache.set('cd34', img);
    const file = cache.fileOf('cd34');
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 20));
    expect(await cache.get('cd34')).toBeUndefined();
    fs.writeFileSync(file, 'not a cache entry at all');
    expect(await cache.get('cd34')).toBeUndefined();
    await cache.set('cd34', img);
    expect(await cache.get('cd34')).toBeDefined();
  });

  it('lets concurrent writers of one key both succeed', async () => {
    const cache = new DiskImageCache(dir);
    await Promise.all([cache.set('ef56', img), cache.set('ef56', img), cache.set('ef56', img)]);
    expect(await cache.get('ef56')).toBeDefined();
    expect(fs.readdirSync(path.join(dir, 'ef'))).toEqual(['ef56.rgb']);
  });

  it('throws when the folder cannot be written', async () => {
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, 'x');
    await expect(new DiskImageCache(blocker).set('0011', img)).rejects.toThrow();
  });
});
