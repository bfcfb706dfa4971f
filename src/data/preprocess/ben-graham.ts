import sharp from 'sharp';
import { BenGrahamConfig } from '../config';
import { RgbImage } from '../types';
import { Box } from './fov';

/** Grey outside the mask and the filter's neutral level. */
const NEUTRAL = 128;

/**
 * Smallest kernel value kept, relative to the peak: 0.01 truncates the Gaussian at 3 sigma. sharp's
 * default (0.2) stops at 1.8 sigma, a much narrower "local average", and its default integer kernel is
 * off by up to 2 levels on flat areas (times 4 in the output); so the blur is float throughout.
 */
const BLUR_MIN_AMPLITUDE = 0.01;

/**
 * Ben Graham's local average subtraction on a square image whose fundus disc fills it (radius = half
 * the side, as the field-of-view crop leaves it): 4·img − 4·GaussianBlur(img, σ = radius·sigmaFraction)
 * + 128, clamped to 0..255, and grey 128 outside maskFraction·radius from the centre, where the blur of
 * the black surround would leave a bright rim. `fov` is the field of view's box in the square: a disc
 * cut off by the camera (flat top and bottom) has straight edges where the blur leaves bright bars
 * too, so the mask keeps the same distance, (1 − maskFraction)·radius, inside the box's edges.
 * The blur is sharp's (libvips); the rest one pass in JS.
 */
export async function benGraham(img: RgbImage, cfg: BenGrahamConfig, fov?: Box): Promise<RgbImage> {
  const { width: W, height: H, data } = img;
  const radius = Math.min(W, H) / 2;
  const sigma = Math.max(0.3, radius * cfg.sigmaFraction);
  const buf = await sharp(data, { raw: { width: W, height: H, channels: 3 } })
    .blur({ sigma, precision: 'float', minAmplitude: BLUR_MIN_AMPLITUDE })
    .raw({ depth: 'float' })
    .toBuffer();
  const blurred =
    buf.byteOffset % 4 === 0 ? new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4) : new Float32Array(Uint8Array.from(buf).buffer);
  const out = new Uint8Array(data.length);
  const cx = W / 2;
  const cy = H / 2;
  const r2 = (cfg.maskFraction * radius) ** 2;
  const margin = (1 - cfg.maskFraction) * radius;
  // The field of view's box shrunk by the margin (where the box touches the disc's rim, the circle is the stricter limit anyway).
  const box = fov ?? { x: 0, y: 0, width: W, height: H };
  const x0 = box.x + margin;
  const x1 = box.x + box.width - margin;
  const y0 = box.y + margin;
  const y1 = box.y + box.height - margin;
  for (let y = 0, p = 0; y < H; y++) {
    const dy = y + 0.5 - cy;
    const rowOut = y + 0.5 < y0 || y + 0.5 > y1;
    for (let x = 0; x < W; x++, p += 3) {
      const dx = x + 0.5 - cx;
      if (rowOut || x + 0.5 < x0 || x + 0.5 > x1 || dx * dx + dy * dy > r2) {
        out[p] = out[p + 1] = out[p + 2] = NEUTRAL;
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const v = 4 * (data[p + c] - blurred[p + c]) + NEUTRAL + 0.5;
        out[p + c] = v < 0 ? 0 : v > 255 ? 255 : v; // the typed array truncates: + 0.5 rounds
      }
    }
  }
  return { width: W, height: H, data: out };
}
