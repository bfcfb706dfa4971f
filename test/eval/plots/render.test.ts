import sharp from 'sharp';
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { fitSvg, renderVegaLite, vegaLiteToSvg } from '../../../src/eval/plots/render';
import { textWidth } from '../../../src/eval/plots/font-widths';
import { summarisePng } from './fixtures';

const bars = (title: string): TopLevelSpec => ({
  title,
  width: 200,
  height: 120,
  data: {
    values: [
      { k: 'a', v: 3 },
      { k: 'b', v: 7 },
      { k: 'c', v: 5 },
    ],
  },
  mark: 'bar',
  encoding: { x: { field: 'k', type: 'nominal' }, y: { field: 'v', type: 'quantitative' } },
});

test('the PNG has exactly width*scale x height*scale pixels and records the density', async () => {
  for (const [width, height, scale] of [
    [300, 200, 1],
    [300, 200, 2],
    [250, 400, 1.5],
  ]) {
    const png = await renderVegaLite(bars('Counts'), { width, height, scale });
    const meta = await sharp(png).metadata();
    expect(meta.format).toBe('png');
    expect([meta.width, meta.height]).toEqual([width * scale, height * scale]);
    expect(meta.density).toBeCloseTo(96 * scale, 0);
  }
});

/** Only a line of text in a fixed frame: nothing else moves when the text changes. */
const words = (text: string): TopLevelSpec => ({
  width: 300,
  height: 60,
  data: { values: [{ text }] },
  mark: { type: 'text', fontSize: 24, x: 150, y: 30 },
  encoding: { text: { field: 'text' } },
});

test('text is drawn with real glyphs: "WWWWWWWW" inks far more than "iiiiiiii" (no font draws equal boxes)', async () => {
  const size = { width: 340, height: 100, scale: 1 };
  const ink = async (text: string) => (await summarisePng(await renderVegaLite(words(text), size))).near('#000000', 100);
  expect(await ink('')).toBe(0);
  const wide = await ink('WWWWWWWW');
  const narrow = await ink('iiiiiiii');
  expect(narrow).toBeGreaterThan(30);
  expect(wide).toBeGreaterThan(2 * narrow);
});

test('the default mark colour and a white background come through', async () => {
  const png = await summarisePng(await renderVegaLite(bars('Counts'), { width: 320, height: 260, scale: 1 }));
  expect(png.near('#4c78a8')).toBeGreaterThan(500);
  expect(png.near('#ffffff', 0)).toBeGreaterThan(0.4 * png.width * png.height);
});

test('fitSvg sets the root size, keeps the viewBox and leaves inner elements alone', () => {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="500" height="364" viewBox="0 0 500 364"><rect width="500" height="364"/><path stroke-width="2"/></svg>';
  const fitted = fitSvg(svg, 1000, 600);
  expect(fitted).toMatch(
    /^<svg width="1000" height="600" preserveAspectRatio="xMidYMid meet" xmlns="http:\/\/www.w3.org\/2000\/svg" class="marks" viewBox="0 0 500 364">/,
  );
  expect(fitted).toContain('<rect width="500" height="364"/><path stroke-width="2"/>');
  expect(() => fitSvg('<svg width="1" height="1"></svg>', 10, 10)).toThrow(/viewBox/);
});

test('sizes that are not whole pixels are refused', async () => {
  await expect(renderVegaLite(bars('x'), { width: 101, height: 100, scale: 1.5 })).rejects.toThrow(/whole number of pixels/);
  await expect(renderVegaLite(bars('x'), { width: 0, height: 100 })).rejects.toThrow(/whole number of pixels/);
});

test('vega measures text with the font table (bold wider, longer wider), not 0.8 em a character', async () => {
  await vegaLiteToSvg(bars('installs the table on import'));
  const metrics = (vega as unknown as { textMetrics: { width: unknown } }).textMetrics;
  expect(metrics.width).toBe(textWidth);
  const regular = textWidth({ fontSize: 10 }, 'Proliferative DR');
  expect(regular).toBeGreaterThan(70);
  expect(regular).toBeLessThan(0.8 * 16 * 10); // vega's own estimate
  expect(textWidth({ fontSize: 10, fontWeight: 'bold' }, 'Proliferative DR')).toBeGreaterThan(regular);
  expect(textWidth({ fontSize: 20 }, 'Proliferative DR')).toBeCloseTo(2 * regular, 9);
  expect(textWidth({ fontSize: 10 }, '  ')).toBe(0);
  expect(textWidth({ fontSize: 10 }, 'é→')).toBeGreaterThan(0);
});
