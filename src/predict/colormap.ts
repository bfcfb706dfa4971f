import * as vega from 'vega';

/** The heatmap's colour scale: vega's "turbo" scheme (dark blue = low, red = high). */
export const HEATMAP_SCHEME = 'turbo';

let lut: Uint8Array | undefined;

function parseRgb(css: string): [number, number, number] {
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const hex = /^#([0-9a-f]{6})$/i.exec(css);
  if (hex) return [0, 2, 4].map((k) => parseInt(hex[1].slice(k, k + 2), 16)) as [number, number, number];
  throw new Error(`unexpected colour from vega's ${HEATMAP_SCHEME} scheme: ${css}`);
}

/** 256 RGB entries of the scale, read once from vega. */
export function heatmapLut(): Uint8Array {
  if (lut) return lut;
  const interpolate = vega.scheme(HEATMAP_SCHEME) as ((t: number) => string) | undefined;
  if (typeof interpolate !== 'function') throw new Error(`vega has no continuous "${HEATMAP_SCHEME}" scheme`);
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) table.set(parseRgb(interpolate(i / 255)), i * 3);
  lut = table;
  return table;
}

/** The scale's colour at t in [0, 1] as a CSS hex string (for SVG and HTML colour bars). */
export function heatmapColour(t: number): string {
  const table = heatmapLut();
  const i = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
  return `#${[table[i], table[i + 1], table[i + 2]].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}
