import { preprocessConfigSchema } from '../../../src/data/config';
import { resizeRgb } from '../../../src/data/image';
import { decodeSideFor, hasPreprocessing, preprocessRgb, workingSide } from '../../../src/data/preprocess';
import { RgbImage } from '../../../src/data/types';
import { fundusRaster } from '../fixtures';

const pre = (p: object) => preprocessConfigSchema.parse(p);
const { hypot } = Math;

function luma(img: RgbImage, x: number, y: number): number {
  const i = (y * img.width + x) * 3;
  return 0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2];
}

describe('preprocessRgb', () => {
  // A wide photograph: disc of radius 90 at (170, 80), cut off 10 px at the top, on a black 400 x 160 frame.
  const photo = fundusRaster({ width: 400, height: 160, cx: 170, cy: 80, radius: 90 });

  it('without steps is the pipeline resize (cover)', async () => {
    expect(hasPreprocessing(pre({}))).toBe(false);
    const out = await preprocessRgb(photo, pre({}), 64);
    expect(Buffer.from(out.data).equals(Buffer.from((await resizeRgb(photo, 64)).data))).toBe(true);
  });

  it('fovCrop: the disc fills the square, centred, with black where the frame cut it off', async () => {
    const out = await preprocessRgb(photo, pre({ fovCrop: true }), 90);
    expect(out).toMatchObject({ width: 90, height: 90 });
    // Inside the disc: the fundus colour; outside it (corners) and in the cut-off cap (top): black.
    expect(luma(out, 45, 45)).toBeGreaterThan(60);
    expect(luma(out, 45, 80)).toBeGreaterThan(60);
    expect(luma(out, 2, 2)).toBeLessThan(3);
    expect(luma(out, 45, 1)).toBeLessThan(3);
    // The disc's rim touches the left and right edges at mid height.
    expect(luma(out, 1, 45)).toBeGreaterThan(30);
    expect(luma(out, 88, 45)).toBeGreaterThan(30);
    // Every bright pixel lies within the inscribed circle.
    for (let y = 0; y < 90; y += 3)
      for (let x = 0; x < 90; x += 3) if (luma(out, x, y) > 30) expect(hypot(x + 0.5 - 45, y + 0.5 - 45)).toBeLessThan(47);
  });

  it('benGraham works at 2·radius and ends at the model size with grey corners', async () => {
    const p = pre({ fovCrop: true, benGraham: { radius: 60 } });
    expect(workingSide(p, 224, 500)).toBe(120);
    expect(decodeSideFor(p, 224)).toBe(240);
    const out = await preprocessRgb(photo, p, 48);
    expect(out).toMatchObject({ width: 48, height: 48 });
    expect(Array.from(out.data.subarray(0, 3))).toEqual([128, 128, 128]);
    const full = await preprocessRgb(photo, p);
    expect(full).toMatchObject({ width: 120, height: 120 });
  });

  it('clahe alone starts from the cover resize; with fovCrop a full-size call keeps the square side', async () => {
    const out = await preprocessRgb(photo, pre({ clahe: true }), 32);
    expect(out).toMatchObject({ width: 32, height: 32 });
    const grey = out.data.every((v, i) => i % 3 !== 0 || (v === out.data[i + 1] && v === out.data[i + 2]));
    expect(grey).toBe(true);
    const square = await preprocessRgb(photo, pre({ fovCrop: true }));
    expect(square.width).toBe(square.height);
    expect(Math.abs(square.width - 180)).toBeLessThanOrEqual(2);
  });
});
