import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { decodeImage, decodeImageAtSize, encodePng, resizeRgb } from '../../src/data/image';
import { RgbImage } from '../../src/data/types';
import { cleanup, hasSharedData, makeTempDir, SHARED_DATA, writeImage } from './fixtures';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('image');
});
afterAll(() => cleanup(dir));

function pixel(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(i, i + 3));
}

describe('decodeImage', () => {
  it('decodes PNG and JPEG to interleaved 8-bit RGB', async () => {
    await writeImage(path.join(dir, 'a.png'), { width: 12, height: 10, rgb: [200, 40, 10] });
    const png = await decodeImage(path.join(dir, 'a.png'));
    expect(png).toMatchObject({ width: 12, height: 10 });
    expect(png.data).toBeInstanceOf(Uint8Array);
    expect(png.data.length).toBe(12 * 10 * 3);
    expect(pixel(png, 0, 0)).toEqual([255, 255, 255]);
    expect(pixel(png, 8, 8)).toEqual([200, 40, 10]);
    await writeImage(path.join(dir, 'a.jpg'), { width: 12, height: 10, rgb: [200, 40, 10] });
    const jpg = await decodeImage(path.join(dir, 'a.jpg'));
    expect(jpg).toMatchObject({ width: 12, height: 10 });
    pixel(jpg, 8, 8).forEach((v, c) => expect(Math.abs(v - [200, 40, 10][c])).toBeLessThan(12));
  });

  it('expands grey and drops alpha to three channels', async () => {
    const grey = path.join(dir, 'grey.png');
    await sharp(Buffer.alloc(16, 77), { raw: { width: 4, height: 4, channels: 1 } })
      .png()
      .toFile(grey);
    const g = await decodeImage(grey);
    expect(g.data.length).toBe(4 * 4 * 3);
    expect(pixel(g, 2, 2)).toEqual([77, 77, 77]);
    const rgba = path.join(dir, 'rgba.png');
    await sharp(Buffer.from(new Array(16).fill([10, 20, 30, 128]).flat()), { raw: { width: 4, height: 4, channels: 4 } })
      .png()
      .toFile(rgba);
    const a = await decodeImage(rgba);
    expect(a.data.length).toBe(4 * 4 * 3);
    expect(pixel(a, 1, 1)).toEqual([10, 20, 30]);
  });

  it('applies the EXIF orientation', async () => {
    // A 4 wide x 2 high image tagged "rotate 90 clockwise" must come out 2 wide x 4 high.
    const file = path.join(dir, 'rotated.jpg');
    await sharp(Buffer.alloc(4 * 2 * 3, 128), { raw: { width: 4, height: 2, channels: 3 } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(file);
    expect(await decodeImage(file)).toMatchObject({ width: 2, height: 4 });
  });

  it('names the file when it is missing, corrupt, truncated or not an image', async () => {
    await expect(decodeImage(path.join(dir, 'nope.jpg'))).rejects.toThrow(/image file not found: .*nope\.jpg/);
    const text = path.join(dir, 'notes.jpg');
    fs.writeFileSync(text, 'this is not an image');
    await expect(decodeImage(text)).rejects.toThrow(/cannot decode image .*notes\.jpg .*skipBadImages/);
    await writeImage(path.join(dir, 'big.jpg'), { width: 200, height: 150 });
    const whole = fs.readFileSync(path.join(dir, 'big.jpg'));
    const cut = path.join(dir, 'cut.jpg');
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(decodeImage(cut)).rejects.toThrow(/cannot decode image .*cut\.jpg/);
    await expect(decodeImageAtSize(cut, 32)).rejects.toThrow(/cannot decode image .*cut\.jpg/);
    const err = (await decodeImage(cut).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('UserError');
    expect(err.message).not.toMatch(/\n/);
  });
});

describe('resizeRgb', () => {
  it("covers: keeps the aspect ratio and cuts the centre square (a wide photo's black sides go)", async () => {
    // 30 x 10: black left and right thirds, red centre.
    const w = 30;
    const h = 10;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 10; x < 20; x++) data[(y * w + x) * 3] = 255;
    const out = await resizeRgb({ width: w, height: h, data }, 5);
    expect(out).toMatchObject({ width: 5, height: 5 });
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) expect(pixel(out, x, y)[0]).toBeGreaterThan(200);
    const filled = await resizeRgb({ width: w, height: h, data }, 6, 'fill');
    expect(pixel(filled, 0, 3)[0]).toBeLessThan(40); // stretched: the black sides stay
    expect(pixel(filled, 3, 3)[0]).toBeGreaterThan(200);
  });

  it('returns the image itself when it already has the size, and decodeImageAtSize agrees with decode + resize', async () => {
    const img = { width: 4, height: 4, data: new Uint8Array(48).fill(9) };
    expect(await resizeRgb(img, 4)).toBe(img);
    await writeImage(path.join(dir, 'c.png'), { width: 40, height: 30, rgb: [100, 150, 50] });
    const a = await decodeImageAtSize(path.join(dir, 'c.png'), 16);
    const b = await resizeRgb(await decodeImage(path.join(dir, 'c.png')), 16);
    expect(a).toMatchObject({ width: 16, height: 16 });
    let maxDiff = 0;
    for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i] - b.data[i]));
    expect(maxDiff).toBeLessThanOrEqual(3);
  });

  it('encodePng round-trips exactly', async () => {
    const img = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 13) };
    const file = path.join(dir, 'round.png');
    fs.writeFileSync(file, await encodePng(img));
    expect(Array.from((await decodeImage(file)).data)).toEqual(Array.from(img.data));
  });
});

const real = hasSharedData ? describe : describe.skip;
if (!hasSharedData) console.log(`skipping real-image decoding: ${SHARED_DATA} is absent`);

real('decoding real fundus photographs from ../shared/data', () => {
  it('decodes JPEG and PNG photographs of several cameras and resizes them', async () => {
    const files = [
      path.join(SHARED_DATA, 'eyepacs-dr-130/train/10_left.jpeg'),
      ...fs
        .readdirSync(path.join(SHARED_DATA, 'eye-diseases-4class/glaucoma'))
        .filter((f) => f.endsWith('.png'))
        .slice(0, 1)
        .map((f) => path.join(SHARED_DATA, 'eye-diseases-4class/glaucoma', f)),
      ...fs
        .readdirSync(path.join(SHARED_DATA, 'smdg-glaucoma-74/samples'))
        .slice(0, 3)
        .flatMap((d) =>
          fs.readdirSync(path.join(SHARED_DATA, 'smdg-glaucoma-74/samples', d)).map((f) => path.join(SHARED_DATA, 'smdg-glaucoma-74/samples', d, f)),
        ),
    ].filter((f) => fs.existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const img = await decodeImage(file);
      expect(img.width).toBeGreaterThan(100);
      expect(img.data.length).toBe(img.width * img.height * 3);
      // A fundus photograph: dark corners, a brighter, red-dominated centre.
      const centre = pixel(img, img.width >> 1, img.height >> 1);
      expect(centre[0]).toBeGreaterThan(centre[2]);
      const small = await decodeImageAtSize(file, 64);
      expect(small).toMatchObject({ width: 64, height: 64 });
    }
  });
});
