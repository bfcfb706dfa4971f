import sharp from 'sharp';
import { parse, View } from 'vega';
import { compile, TopLevelSpec } from 'vega-lite';
import { useFontTableForTextWidths } from './font-widths';
import { PLOT_THEME } from './theme';

useFontTableForTextWidths();

export interface RenderOptions {
  /** Figure width in CSS pixels. */
  width: number;
  /** Figure height in CSS pixels. */
  height: number;
  /** Device pixels per CSS pixel (default 2): the PNG is width*scale x height*scale pixels. */
  scale?: number;
}

/** What every plot function accepts. */
export interface PlotOptions {
  /** Replaces the plot's default title. */
  title?: string;
  /** Figure size (each plot has its own default). */
  size?: RenderOptions;
}

/** Vega-Lite spec -> SVG text, laid out headless (no canvas: text widths come from font-widths.ts). */
export async function vegaLiteToSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec, { config: PLOT_THEME }).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Sets the root element's size to exactly `width` x `height` pixels. Its viewBox stays, so the
 * chart is scaled as vectors to fit and centred (preserveAspectRatio); a chart whose natural
 * size is not the figure's keeps its proportions and gets white margins instead of distortion.
 */
export function fitSvg(svg: string, width: number, height: number): string {
  const root = /<svg\b[^>]*>/.exec(svg);
  if (!root || !/\bviewBox="/.test(root[0])) throw new Error('internal: the SVG from vega has no root element with a viewBox');
  const tag = root[0]
    .replace(/\s(width|height|preserveAspectRatio)="[^"]*"/g, '')
    .replace(/^<svg\b/, `<svg width="${width}" height="${height}" preserveAspectRatio="xMidYMid meet"`);
  return svg.slice(0, root.index) + tag + svg.slice(root.index + root[0].length);
}

function pixels(cssPixels: number, scale: number, what: string): number {
  const px = cssPixels * scale;
  if (!(Number.isInteger(px) && px > 0)) throw new Error(`${what} ${cssPixels} x scale ${scale} = ${px} is not a whole number of pixels`);
  return px;
}

/**
 * Renders a Vega-Lite spec to a PNG of exactly (width*scale) x (height*scale) pixels on white,
 * with the density recorded as 96*scale dpi so that documents place it at its CSS size.
 */
export async function renderVegaLite(spec: TopLevelSpec, options: RenderOptions): Promise<Buffer> {
  const scale = options.scale ?? 2;
  const w = pixels(options.width, scale, 'width');
  const h = pixels(options.height, scale, 'height');
  const svg = fitSvg(await vegaLiteToSvg(spec), w, h);
  // density 72: one SVG user unit is one pixel, so the root's size is the PNG's size
  return sharp(Buffer.from(svg), { density: 72 })
    .flatten({ background: '#ffffff' })
    .withMetadata({ density: 96 * scale })
    .png({ compressionLevel: 9 })
    .toBuffer();
}
