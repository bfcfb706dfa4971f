import sharp from 'sharp';
import { Box } from '../data/preprocess';
import { RgbImage } from '../data/types';
import { heatmapColour, heatmapLut } from './colormap';
import { ClassActivationMap } from './gradcam';

export interface OverlayOptions {
  /** Opacity of the heatmap where the map is 1; it falls linearly to 0 where the map is 0 (default 0.6). */
  maxAlpha?: number;
  /** Draw the colour bar (default true). */
  colourBar?: boolean;
}

/**
 * The class activation map upsampled (bicubic) onto the square of the photograph the model saw,
 * coloured with the heatmap scale and blended over the ORIGINAL photograph: opacity grows with the
 * map's value, so the photograph stays visible where the model did not look, and pixels outside the
 * model's square are untouched. A colour bar (high .. low) sits at the right edge. The PNG has the
 * photograph's own size.
 */
export async function camOverlayPng(original: RgbImage, cam: ClassActivationMap, square: Box, options: OverlayOptions = {}): Promise<Buffer> {
  const maxAlpha = options.maxAlpha ?? 0.6;
  const { width: W, height: H } = original;
  const side = Math.max(1, Math.round(square.width));
  const grey = Buffer.alloc(cam.width * cam.height);
  for (let i = 0; i < grey.length; i++) grey[i] = Math.round(Math.max(0, Math.min(1, cam.values[i])) * 255);
  // sharp hands back sRGB (3 equal channels) even for a grey input: read every `stride`-th byte.
  const { data: up, info } = await sharp(grey, { raw: { width: cam.width, height: cam.height, channels: 1 } })
    .resize(side, side, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const stride = info.channels;
  const lut = heatmapLut();
  const out = Buffer.from(original.data.buffer, original.data.byteOffset, original.data.length);
  const blended = Buffer.alloc(out.length);
  out.copy(blended);
  const x0 = Math.round(square.x);
  const y0 = Math.round(square.y);
  for (let y = Math.max(0, y0); y < Math.min(H, y0 + side); y++) {
    const row = (y - y0) * side;
    for (let x = Math.max(0, x0); x < Math.min(W, x0 + side); x++) {
      const v = up[(row + (x - x0)) * stride];
      const a = (maxAlpha * v) / 255;
      const i = (y * W + x) * 3;
      const c = v * 3;
      blended[i] = Math.round((1 - a) * out[i] + a * lut[c]);
      blended[i + 1] = Math.round((1 - a) * out[i + 1] + a * lut[c + 1]);
      blended[i + 2] = Math.round((1 - a) * out[i + 2] + a * lut[c + 2]);
    }
  }
  let image = sharp(blended, { raw: { width: W, height: H, channels: 3 } });
  if (options.colourBar ?? true) image = image.composite([{ input: Buffer.from(colourBarSvg(W, H)), top: 0, left: 0 }]);
  return image.png().toBuffer();
}

/** An SVG as large as the photograph with the colour bar at its right edge, lower half (usually black border). */
export function colourBarSvg(W: number, H: number): string {
  const unit = Math.min(W, H);
  const barW = Math.max(6, Math.round(unit * 0.025));
  const barH = Math.max(24, Math.round(H * 0.3));
  const margin = Math.max(4, Math.round(unit * 0.025));
  const font = Math.max(9, Math.round(unit * 0.03));
  const x = W - margin - barW;
  const y = H - margin - barH;
  const stops = Array.from({ length: 11 }, (_, k) => `<stop offset="${k * 10}%" stop-color="${heatmapColour(1 - k / 10)}"/>`).join('');
  const label = (text: string, ty: number) =>
    `<text x="${x - Math.round(font * 0.4)}" y="${ty}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="${font}" fill="#ffffff" stroke="#000000" stroke-width="${Math.max(1, font / 8)}" paint-order="stroke" text-anchor="end">${text}</text>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">` +
    `<defs><linearGradient id="cam" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>` +
    `<rect x="${x}" y="${y}" width="${barW}" height="${barH}" fill="url(#cam)" stroke="#ffffff" stroke-width="1"/>` +
    label('high', y + font * 0.8) +
    label('low', y + barH) +
    `</svg>`
  );
}
