import sharp from 'sharp';
import { benGraham } from '../../../src/data/preprocess/ben-graham';
import { RgbImage } from '../../../src/data/types';

const cfg = { radius: 50, sigmaFraction: 1 / 30, maskFraction: 0.9 };

function at(img: RgbImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(i, i + 3));
}

function solid(side: number, rgb: number[]): RgbImage {
  const data = new Uint8Array(side * side * 3);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3];
  return { width: side, height: side, data };
}

describe('benGraham', () => {
  it('turns a flat image into grey 128 (nothing differs from its local average), for small and large radii', async () => {
    const out = await benGraham(solid(100, [180, 90, 30]), cfg);
    for (const [x, y] of [
      [50, 50],
      [30, 60],
      [5, 5],
    ])
      expect(at(out, x, y)).toEqual([128, 128, 128]);
    const big = await benGraham(solid(300, [250, 128, 10]), { ...cfg, radius: 150 });
    for (const [x, y] of [
      [150, 150],
      [100, 200],
    ])
      expect(at(big, x, y)).toEqual([128, 128, 128]);
  });

  it('computes 4·img − 4·blur + 128 inside the mask, rounded and clamped, with a float Gaussian of sigma radius/30 (3 sigma wide)', async () => {
    const img = solid(100, [100, 100, 100]);
    for (let y = 45; y < 50; y++) for (let x = 45; x < 50; x++) img.data.fill(160, (y * 100 + x) * 3, (y * 100 + x) * 3 + 3);
    const buf = await sharp(img.data, { raw: { width: 100, height: 100, channels: 3 } })
      .blur({ sigma: 50 / 30, precision: 'float', minAmplitude: 0.01 })
      .raw({ depth: 'float' })
      .toBuffer();
    const blur = new Float32Array(Uint8Array.from(buf).buffer);
    const out = await benGraham(img, cfg);
    for (const [x, y] of [
      [47, 47],
      [45, 45],
      [44, 47],
      [40, 40],
      [52, 52],
    ]) {
      const i = (y * 100 + x) * 3;
      expect(out.data[i]).toBe(Math.min(255, Math.max(0, Math.round(4 * (img.data[i] - blur[i]) + 128))));
    }
    expect(at(out, 47, 47)[0]).toBeGreaterThan(180); // a bright spot stands out ...
    expect(at(out, 43, 47)[0]).toBeLessThan(128); // ... with a dark halo
    expect(at(out, 20, 50)[0]).toBe(128); // far from it: flat
  });

  it('masks with grey 128 outside 0.9 radius and inside the margin of a cut field of view', async () => {
    const img = solid(100, [200, 50, 50]);
    for (let i = 0; i < 100 * 100 * 3; i += 7) img.data[i] = 0; // texture, so that unmasked pixels are not all 128
    const out = await benGraham(img, cfg);
    expect(at(out, 1, 1)).toEqual([128, 128, 128]); // corner: outside the circle
    expect(at(out, 50, 3)).toEqual([128, 128, 128]); // 47 px from the centre > 45
    expect(out.data.some((v, i) => i % 3 === 0 && v !== 128)).toBe(true);
    // The disc was cut at y = 20 and y = 80: the mask keeps 5 px (0.1 radius) away from those edges.
    const cut = await benGraham(img, cfg, { x: 0, y: 20, width: 100, height: 60 });
    expect(at(cut, 50, 24)).toEqual([128, 128, 128]);
    expect(at(cut, 50, 76)).toEqual([128, 128, 128]);
    expect(at(cut, 50, 50)).toEqual(at(out, 50, 50));
    expect(at(cut, 50, 26)).toEqual(at(out, 50, 26));
  });
});
