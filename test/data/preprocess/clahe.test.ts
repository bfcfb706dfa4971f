import { applyClahe, claheChannel } from '../../../src/data/preprocess/clahe';
import { RgbImage } from '../../../src/data/types';

/** An RGB image whose green channel is `green` (row-major), red 200 and blue 10 everywhere. */
function withGreen(width: number, height: number, green: (x: number, y: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = 200;
      data[i + 1] = green(x, y);
      data[i + 2] = 10;
    }
  }
  return { width, height, data };
}

describe('claheChannel', () => {
  it('with one tile and no clipping is global histogram equalisation: value -> round(255 * CDF)', () => {
    // 16 x 16: 64 pixels of 50, 128 of 60, 64 of 200.
    const img = withGreen(16, 16, (_, y) => (y < 4 ? 50 : y < 12 ? 60 : 200));
    const out = claheChannel(img, 1, 1000, 1);
    expect(out[0]).toBe(Math.round((255 * 64) / 256));
    expect(out[16 * 5]).toBe(Math.round((255 * 192) / 256));
    expect(out[16 * 13]).toBe(255);
  });

  it('clips each bin at clipLimit times the flat level and spreads the excess over all bins', () => {
    // One tile of 256 pixels: flat level 1, clip limit 2 -> at most 2 per bin. Two values, 128 pixels each:
    // 126 excess each, 252 in all: 0 per bin and 252 single counts at bins 0, 1, 2, ... (step 1).
    const img = withGreen(16, 16, (_, y) => (y < 8 ? 100 : 150));
    const out = claheChannel(img, 1, 2, 1);
    // CDF(100) = 100 spread counts (bins 0..99) + 1 (bin 100 spread) + 2 (clipped bin) = 103.
    expect(out[0]).toBe(Math.round((255 * 103) / 256));
    // CDF(150) = 150 spread + 1 (bin 150) + 2 + 2 = 155.
    expect(out[16 * 15]).toBe(Math.round((255 * 155) / 256));
  });

  it("maps a pixel at a tile's centre by that tile alone and blends between tiles elsewhere", () => {
    // Left half dark, right half bright, two tiles across: each tile equalises to its own histogram.
    const img = withGreen(32, 8, (x) => (x < 16 ? 40 : 180));
    const out = claheChannel(img, 1, 1000, 2);
    // A uniform tile maps its one value to 255 (CDF = 1 at that value).
    expect(out[7]).toBe(255); // the left tile's centre lies between pixels 7 and 8
    // Pixel 15 (dark) lies 0.47 of the way to the right tile's centre, whose mapping sends 40 to 0.
    expect(out[15]).toBe(Math.round((1 - 0.46875) * 255));
    // Pixel 16 (bright) blends both tiles, and both send 180 to 255.
    expect(out[16]).toBe(255);
    expect(out.length).toBe(32 * 8);
  });

  it('raises the contrast of a dim, low-contrast channel and never leaves 0..255', () => {
    const img = withGreen(64, 64, (x, y) => 60 + ((x * 7 + y * 13) % 20));
    const out = claheChannel(img, 1, 2, 8);
    const spread = (v: ArrayLike<number>) => Math.max(...Array.from(v)) - Math.min(...Array.from(v));
    const green = Array.from({ length: 64 * 64 }, (_, k) => img.data[k * 3 + 1]);
    expect(spread(out)).toBeGreaterThan(3 * spread(green));
  });
});

describe('applyClahe', () => {
  const img = withGreen(16, 16, (x, y) => (x + y) * 4);
  it("'green' puts the equalised green into all three channels", () => {
    const out = applyClahe(img, { clipLimit: 2, tiles: 2, output: 'green' });
    const green = claheChannel(img, 1, 2, 2);
    for (let k = 0; k < green.length; k++)
      expect([out.data[k * 3], out.data[k * 3 + 1], out.data[k * 3 + 2]]).toEqual([green[k], green[k], green[k]]);
  });
  it("'rgb' replaces only the green channel", () => {
    const out = applyClahe(img, { clipLimit: 2, tiles: 2, output: 'rgb' });
    const green = claheChannel(img, 1, 2, 2);
    for (let k = 0; k < green.length; k++) expect([out.data[k * 3], out.data[k * 3 + 1], out.data[k * 3 + 2]]).toEqual([200, green[k], 10]);
    expect(img.data[1]).toBe(0); // the input is left alone
  });
});
