import { findFieldOfView, squareAround } from '../../../src/data/preprocess/fov';
import { RgbImage } from '../../../src/data/types';
import { fundusRaster } from '../fixtures';

/** Sets a rectangle of an image to one grey level (text or a logo in the border). */
function paint(img: RgbImage, x0: number, y0: number, w: number, h: number, v: number): void {
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) img.data.fill(v, (y * img.width + x) * 3, (y * img.width + x) * 3 + 3);
}

describe('findFieldOfView', () => {
  it('boxes a whole disc on black and fits its centre', () => {
    const img = fundusRaster({ width: 300, height: 200, cx: 160, cy: 100, radius: 80 });
    const fov = findFieldOfView(img, 7);
    expect(fov.found).toBe(true);
    expect(fov.x).toBeGreaterThanOrEqual(79);
    expect(fov.x).toBeLessThanOrEqual(81);
    expect(fov.x + fov.width).toBeGreaterThanOrEqual(239);
    expect(fov.x + fov.width).toBeLessThanOrEqual(241);
    expect(fov.y).toBeGreaterThanOrEqual(19);
    expect(fov.y + fov.height).toBeLessThanOrEqual(181);
    expect(fov.centre!.x).toBeCloseTo(160, 0);
    expect(fov.centre!.y).toBeCloseTo(100, 0);
  });

  it('finds the centre of a disc cut off unevenly by the frame, and squares it around the centre', () => {
    // Radius 120 centred at y = 100 in a 160 px high frame: cut 20 px at the top, 60 px at the bottom... the other way round.
    const img = fundusRaster({ width: 400, height: 160, cx: 200, cy: 100, radius: 120 });
    const fov = findFieldOfView(img, 7);
    expect(fov).toMatchObject({ y: 0, height: 160, found: true });
    expect(fov.width).toBeGreaterThanOrEqual(238);
    expect(fov.centre!.y).toBeGreaterThan(97);
    expect(fov.centre!.y).toBeLessThan(103);
    const sq = squareAround(fov);
    expect(sq.width).toBe(fov.width);
    expect(sq.height).toBe(fov.width);
    // Centred on the disc, not on the box (whose middle is y = 80).
    expect(sq.y + sq.height / 2).toBeCloseTo(fov.centre!.y, 5);
    expect(sq.x + sq.width / 2).toBeCloseTo(200, 0);
  });

  it('keeps text and specks in the black border out of the box', () => {
    const img = fundusRaster({ width: 400, height: 300, cx: 200, cy: 150, radius: 130 });
    paint(img, 5, 5, 40, 8, 230); // a white label in the top-left corner
    paint(img, 390, 290, 2, 2, 255); // a hot pixel
    for (let i = 0; i < img.data.length; i += 97) if (img.data[i] === 0) img.data[i] = 6; // JPEG-like noise below the tolerance
    const fov = findFieldOfView(img, 7);
    expect(fov.x).toBeGreaterThanOrEqual(69);
    expect(fov.y).toBeGreaterThanOrEqual(19);
    expect(fov.x + fov.width).toBeLessThanOrEqual(331);
    expect(fov.y + fov.height).toBeLessThanOrEqual(281);
  });

  it('gives the whole image for a picture without a border, and found = false for an all-dark one', () => {
    const full: RgbImage = { width: 50, height: 40, data: new Uint8Array(50 * 40 * 3).fill(120) };
    expect(findFieldOfView(full, 7)).toMatchObject({ x: 0, y: 0, width: 50, height: 40, found: true });
    const dark: RgbImage = { width: 50, height: 40, data: new Uint8Array(50 * 40 * 3).fill(5) };
    expect(findFieldOfView(dark, 7)).toEqual({ x: 0, y: 0, width: 50, height: 40, found: false });
    const speck: RgbImage = { width: 100, height: 100, data: new Uint8Array(100 * 100 * 3) };
    paint(speck, 50, 50, 3, 3, 200);
    expect(findFieldOfView(speck, 7).found).toBe(false);
  });
});

describe('squareAround', () => {
  it('centres on the box without a fitted centre, and never cuts the box', () => {
    expect(squareAround({ x: 10, y: 20, width: 100, height: 60 })).toEqual({ x: 10, y: 0, width: 100, height: 100 });
    // A fitted centre far off is clamped so that the square still holds the box.
    expect(squareAround({ x: 0, y: 0, width: 100, height: 60, centre: { x: 50, y: 500 } })).toEqual({ x: 0, y: 0, width: 100, height: 100 });
    expect(squareAround({ x: 0, y: 0, width: 100, height: 60, centre: { x: 50, y: -500 } })).toEqual({ x: 0, y: -40, width: 100, height: 100 });
  });
});
