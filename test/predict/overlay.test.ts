import sharp from 'sharp';
import { camOverlayPng } from '../../src/predict/overlay';
import { modelSquareOnOriginal } from '../../src/predict/prepare';
import { heatmapColour } from '../../src/predict/colormap';
import { preprocessConfigSchema } from '../../src/data/config';
import { RgbImage } from '../../src/data/types';

function grey(width: number, height: number, value: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3).fill(value) };
}

async function pixels(png: Buffer): Promise<{ width: number; height: number; at: (x: number, y: number) => number[] }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, at: (x, y) => Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)) };
}

describe('heatmap overlay on the original photograph', () => {
  test('the map lands on the square the model saw, hot where the map is 1, untouched outside; the PNG keeps the photograph size', async () => {
    // A 200x100 photograph: without a field-of-view crop the model sees the centred 100x100 square (x 50..150).
    const photo = grey(200, 100, 128);
    const square = modelSquareOnOriginal(photo, preprocessConfigSchema.parse({}));
    expect(square).toEqual({ x: 50, y: 0, width: 100, height: 100 });
    // 2x2 map: only the top-left cell is hot.
    const cam = { width: 2, height: 2, values: Float32Array.from([1, 0, 0, 0]), classIndex: 0, method: 'test' };
    const img = await pixels(await camOverlayPng(photo, cam, square, { colourBar: false, maxAlpha: 0.6 }));
    expect([img.width, img.height]).toEqual([200, 100]);
    expect(img.at(10, 10)).toEqual([128, 128, 128]); // left of the square
    expect(img.at(190, 90)).toEqual([128, 128, 128]); // right of the square
    expect(img.at(140, 90)).toEqual([128, 128, 128]); // cold corner of the square
    // The hot corner: 60% of the scale's top colour over grey.
    const hot = heatmapColour(1)
      .match(/[0-9a-f]{2}/g)!
      .map((h) => parseInt(h, 16));
    const expected = hot.map((c) => Math.round(0.4 * 128 + 0.6 * c));
    img.at(52, 2).forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(2));
    // Smoothly falling off (bicubic): the middle of the square is in between.
    const mid = img.at(100, 50);
    expect(mid).not.toEqual([128, 128, 128]);
  });

  test('the colour bar is drawn inside the photograph, at its right edge', async () => {
    const photo = grey(300, 200, 0);
    const cam = { width: 1, height: 1, values: Float32Array.from([0]), classIndex: 0, method: 'test' };
    const img = await pixels(await camOverlayPng(photo, cam, { x: 50, y: 0, width: 200, height: 200 }));
    expect([img.width, img.height]).toEqual([300, 200]);
    // Somewhere in the right margin, bottom part: the bar's colours (not black).
    let coloured = 0;
    for (let y = 100; y < 200; y++) for (let x = 270; x < 300; x++) if (img.at(x, y).some((v) => v > 40)) coloured++;
    expect(coloured).toBeGreaterThan(100);
    expect(img.at(20, 20)).toEqual([0, 0, 0]);
  });

  test('with the field-of-view crop, the square is the one around the fundus', () => {
    // A bright disc of radius 30 centred at (100, 60) on black.
    const W = 240;
    const H = 120;
    const photo = grey(W, H, 0);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) if ((x - 100) ** 2 + (y - 60) ** 2 <= 30 ** 2) photo.data.fill(180, (y * W + x) * 3, (y * W + x) * 3 + 3);
    const sq = modelSquareOnOriginal(photo, preprocessConfigSchema.parse({ fovCrop: true }));
    // The data layer's box drops the disc's shortest edge chords (FOV_LINE_FRACTION): within a few pixels of 61.
    expect(Math.abs(sq.width - 61)).toBeLessThanOrEqual(3);
    expect(sq.height).toBe(sq.width);
    expect(sq.x + sq.width / 2).toBeCloseTo(100.5, 0);
    expect(sq.y + sq.height / 2).toBeCloseTo(60.5, 0);
  });
});
