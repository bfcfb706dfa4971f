import { augmentImage, AugmentParams, drawAugmentParams, isIdentityAugment } from '../../src/data/augment';
import { augmentConfigSchema } from '../../src/data/config';
import { RgbImage } from '../../src/data/types';
import { Rng } from '../../src/util/random';

const NONE: AugmentParams = { hflip: false, vflip: false, angle: 0, crop: null, brightness: 1, contrast: 1, saturation: 1 };

/** A 6 x 4 image whose every pixel is distinct. */
function gradient(w = 6, h = 4): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = x * 40;
      data[i + 1] = y * 60;
      data[i + 2] = 100;
    }
  }
  return { width: w, height: h, data };
}

function at(px: Float32Array, w: number, x: number, y: number): number[] {
  const i = (y * w + x) * 3;
  return [px[i], px[i + 1], px[i + 2]].map((v) => Math.round(v * 255));
}

describe('augmentation', () => {
  it('with nothing drawn returns the image as [0, 1] floats', () => {
    const img = gradient();
    const out = augmentImage(img, NONE);
    expect(Array.from(out).map((v) => Math.round(v * 255))).toEqual(Array.from(img.data));
  });

  it('flips exactly', () => {
    const img = gradient();
    const h = augmentImage(img, { ...NONE, hflip: true });
    const v = augmentImage(img, { ...NONE, vflip: true });
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 6; x++) {
        expect(at(h, 6, x, y)).toEqual(at(augmentImage(img, NONE), 6, 5 - x, y));
        expect(at(v, 6, x, y)).toEqual(at(augmentImage(img, NONE), 6, x, 3 - y));
      }
    }
  });

  it('rotates by 180 degrees like two flips, and fills the uncovered corners of 45 degrees with black', () => {
    const sq = gradient(6, 6);
    const rot = augmentImage(sq, { ...NONE, angle: Math.PI });
    const flips = augmentImage(sq, { ...NONE, hflip: true, vflip: true });
    for (let i = 0; i < rot.length; i++) expect(rot[i]).toBeCloseTo(flips[i], 4);
    const white: RgbImage = { width: 20, height: 20, data: new Uint8Array(20 * 20 * 3).fill(255) };
    const r45 = augmentImage(white, { ...NONE, angle: Math.PI / 4 });
    expect(at(r45, 20, 0, 0)).toEqual([0, 0, 0]);
    expect(at(r45, 20, 10, 10)).toEqual([255, 255, 255]);
  });

  it('crops a box and scales it back to full size', () => {
    const img = gradient(6, 6);
    // The right half (columns 3..5, red 120..200) stretched to the full width: output pixel u samples
    // source position 3 + (u + 0.5) / 2, i.e. between pixel centres, bilinearly; the last one clamps to the edge.
    const out = augmentImage(img, { ...NONE, crop: { x: 3, y: 0, w: 3, h: 6 } });
    expect([0, 1, 2, 3, 4, 5].map((u) => at(out, 6, u, 2)[0])).toEqual([110, 130, 150, 170, 190, 200]);
    expect(at(out, 6, 0, 2)[1]).toBe(120); // rows keep their green (y * 60)
  });

  it('jitters brightness, contrast and saturation within [0, 1]', () => {
    const img = gradient();
    const bright = augmentImage(img, { ...NONE, brightness: 2 });
    expect(Math.max(...bright)).toBeLessThanOrEqual(1);
    expect(at(bright, 6, 1, 0)[0]).toBe(80);
    const flat = augmentImage(img, { ...NONE, contrast: 0 });
    expect(new Set(Array.from(flat).map((v) => v.toFixed(5))).size).toBe(1); // all pixels the mean grey
    const grey = augmentImage(img, { ...NONE, saturation: 0 });
    for (let p = 0; p < 24; p++) {
      expect(grey[p * 3]).toBeCloseTo(grey[p * 3 + 1], 6);
      expect(grey[p * 3 + 1]).toBeCloseTo(grey[p * 3 + 2], 6);
    }
  });

  it('draws parameters deterministically from the Rng, within the configured ranges', () => {
    const cfg = augmentConfigSchema.parse({
      hflip: 0.5,
      rotate: 15,
      brightness: 0.2,
      contrast: 0.2,
      saturation: 0.2,
      randomResizedCrop: { scale: [0.5, 1] },
    });
    expect(isIdentityAugment(cfg)).toBe(false);
    expect(isIdentityAugment(augmentConfigSchema.parse({}))).toBe(true);
    const draws = Array.from({ length: 200 }, (_, i) => drawAugmentParams(cfg, 64, 64, Rng.create(1, `augment:0:${i}`)));
    expect(drawAugmentParams(cfg, 64, 64, Rng.create(1, 'augment:0:3'))).toEqual(draws[3]);
    const flips = draws.filter((d) => d.hflip).length;
    expect(flips).toBeGreaterThan(70);
    expect(flips).toBeLessThan(130);
    expect(draws.every((d) => !d.vflip)).toBe(true);
    for (const d of draws) {
      expect(Math.abs(d.angle)).toBeLessThanOrEqual((15 * Math.PI) / 180);
      expect(d.brightness).toBeGreaterThanOrEqual(0.8);
      expect(d.brightness).toBeLessThanOrEqual(1.2);
      const area = (d.crop!.w * d.crop!.h) / (64 * 64);
      expect(area).toBeGreaterThanOrEqual(0.5 - 1e-9);
      expect(area).toBeLessThanOrEqual(1 + 1e-9);
      expect(d.crop!.x).toBeGreaterThanOrEqual(0);
      expect(d.crop!.x + d.crop!.w).toBeLessThanOrEqual(64 + 1e-9);
    }
  });

  it('switching one transform on does not shift the draws of the others', () => {
    const base = augmentConfigSchema.parse({ rotate: 10 });
    const more = augmentConfigSchema.parse({ rotate: 10, hflip: 0.5, brightness: 0.3 });
    const a = drawAugmentParams(base, 32, 32, Rng.create(9, 'augment:1:5'));
    const b = drawAugmentParams(more, 32, 32, Rng.create(9, 'augment:1:5'));
    expect(b.angle).toBe(a.angle);
  });
});
