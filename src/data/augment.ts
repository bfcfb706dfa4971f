import { Rng } from '../util/random';
import { AugmentConfig } from './config';
import { RgbImage } from './types';

// Math functions bound once per module: a hot loop then does no global lookup per call, which is slow
// inside vm contexts (jest runs tests in one) and costs nothing elsewhere.
const { cos, exp, floor, log, max, min, sin, sqrt } = Math;

/** The random choices for one image, drawn before any pixel is touched. */
export interface AugmentParams {
  hflip: boolean;
  vflip: boolean;
  /** Rotation in radians. */
  angle: number;
  /** Crop box in pixels of the (rotated) image, scaled back to full size; null = whole image. */
  crop: { x: number; y: number; w: number; h: number } | null;
  brightness: number;
  contrast: number;
  saturation: number;
}

/** True when the config changes nothing, so the pipeline can skip augmentation altogether. */
export function isIdentityAugment(cfg: AugmentConfig): boolean {
  return (
    cfg.hflip === 0 &&
    cfg.vflip === 0 &&
    cfg.rotate === 0 &&
    cfg.brightness === 0 &&
    cfg.contrast === 0 &&
    cfg.saturation === 0 &&
    cfg.randomResizedCrop === null &&
    cfg.randAugment === null &&
    cfg.randomErasing === null
  );
}

function jitterFactor(rng: Rng, amount: number): number {
  const u = rng.next(); // drawn even when amount is 0, so that enabling one jitter never shifts another
  return amount > 0 ? max(0, 1 - amount) + u * (1 + amount - max(0, 1 - amount)) : 1;
}

/**
 * Draws one image's augmentation from its own Rng. The draws come in a fixed order, each drawn
 * whether or not its transform is enabled; the random-resized-crop draws come last because their
 * number varies (up to ten tries for a box that fits, as is usual for this transform).
 */
export function drawAugmentParams(cfg: AugmentConfig, width: number, height: number, rng: Rng): AugmentParams {
  const hflip = rng.next() < cfg.hflip;
  const vflip = rng.next() < cfg.vflip;
  const angle = (rng.uniform(-1, 1) * cfg.rotate * Math.PI) / 180;
  const brightness = jitterFactor(rng, cfg.brightness);
  const contrast = jitterFactor(rng, cfg.contrast);
  const saturation = jitterFactor(rng, cfg.saturation);
  let crop: AugmentParams['crop'] = null;
  const rrc = cfg.randomResizedCrop;
  if (rrc) {
    const area = width * height;
    const [logLo, logHi] = [log(rrc.ratio[0]), log(rrc.ratio[1])];
    for (let attempt = 0; attempt < 10 && crop === null; attempt++) {
      const target = area * rng.uniform(rrc.scale[0], rrc.scale[1]);
      const aspect = exp(rng.uniform(logLo, logHi));
      const w = sqrt(target * aspect);
      const h = sqrt(target / aspect);
      if (w <= width && h <= height) crop = { x: rng.uniform(0, width - w), y: rng.uniform(0, height - h), w, h };
    }
    if (crop === null) {
      // No box fitted: the largest centred box with the nearest allowed aspect ratio.
      const aspect = min(max(width / height, rrc.ratio[0]), rrc.ratio[1]);
      const w = min(width, height * aspect);
      const h = min(height, w / aspect);
      crop = { x: (width - w) / 2, y: (height - h) / 2, w, h };
    }
  }
  return { hflip, vflip, angle, crop, brightness, contrast, saturation };
}

/**
 * Geometry in one bilinear resampling: output pixel -> flipped -> position in the crop box ->
 * rotated back about the image centre -> source pixel. Inside the source rectangle samples clamp to
 * its edge pixels; beyond it the picture fades to black within one pixel (the fundus surround is
 * black anyway), which anti-aliases the corners a rotation uncovers.
 */
function resample(img: RgbImage, p: AugmentParams, out: Float32Array): void {
  const { width: W, height: H, data } = img;
  const cx = W / 2;
  const cy = H / 2;
  const cosA = cos(p.angle);
  const sinA = sin(p.angle);
  const crop = p.crop ?? { x: 0, y: 0, w: W, h: H };
  const sx = crop.w / W;
  const sy = crop.h / H;
  for (let v = 0; v < H; v++) {
    const yo = p.vflip ? H - (v + 0.5) : v + 0.5;
    const yr = crop.y + yo * sy - cy;
    for (let u = 0; u < W; u++) {
      const xo = p.hflip ? W - (u + 0.5) : u + 0.5;
      const xr = crop.x + xo * sx - cx;
      // Continuous source position; inside the image the taps clamp to the edge, outside it fades to black within a pixel.
      const xc = cx + cosA * xr + sinA * yr;
      const yc = cy - sinA * xr + cosA * yr;
      const o = (v * W + u) * 3;
      const coverX = 1 - max(0, -xc, xc - W);
      const coverY = 1 - max(0, -yc, yc - H);
      const cover = coverX * coverY;
      if (coverX <= 0 || coverY <= 0) {
        out[o] = out[o + 1] = out[o + 2] = 0;
        continue;
      }
      const xs = xc - 0.5;
      const ys = yc - 0.5;
      const x0 = floor(xs);
      const y0 = floor(ys);
      const fx = xs - x0;
      const fy = ys - y0;
      const xa = min(W - 1, max(0, x0));
      const xb = min(W - 1, max(0, x0 + 1));
      const ya = min(H - 1, max(0, y0));
      const yb = min(H - 1, max(0, y0 + 1));
      const ia = (ya * W + xa) * 3;
      const ib = (ya * W + xb) * 3;
      const ic = (yb * W + xa) * 3;
      const id = (yb * W + xb) * 3;
      const wa = (1 - fx) * (1 - fy) * cover;
      const wb = fx * (1 - fy) * cover;
      const wc = (1 - fx) * fy * cover;
      const wd = fx * fy * cover;
      const r = wa * data[ia] + wb * data[ib] + wc * data[ic] + wd * data[id];
      const g = wa * data[ia + 1] + wb * data[ib + 1] + wc * data[ic + 1] + wd * data[id + 1];
      const b = wa * data[ia + 2] + wb * data[ib + 2] + wc * data[ic + 2] + wd * data[id + 2];
      out[o] = r / 255;
      out[o + 1] = g / 255;
      out[o + 2] = b / 255;
    }
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Brightness, contrast (towards the image's mean grey), saturation (towards each pixel's grey), clamped after each. */
function jitterColour(px: Float32Array, p: AugmentParams): void {
  const n = px.length / 3;
  if (p.brightness !== 1) for (let i = 0; i < px.length; i++) px[i] = clamp01(px[i] * p.brightness);
  if (p.contrast !== 1) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += 0.299 * px[i * 3] + 0.587 * px[i * 3 + 1] + 0.114 * px[i * 3 + 2];
    mean /= n;
    const add = (1 - p.contrast) * mean;
    for (let i = 0; i < px.length; i++) px[i] = clamp01(p.contrast * px[i] + add);
  }
  if (p.saturation !== 1) {
    for (let i = 0; i < n; i++) {
      const o = i * 3;
      const grey = (1 - p.saturation) * (0.299 * px[o] + 0.587 * px[o + 1] + 0.114 * px[o + 2]);
      px[o] = clamp01(p.saturation * px[o] + grey);
      px[o + 1] = clamp01(p.saturation * px[o + 1] + grey);
      px[o + 2] = clamp01(p.saturation * px[o + 2] + grey);
    }
  }
}

/** Applies drawn augmentation to an image: RGB floats in [0, 1], HWC, same size as the input. */
export function augmentImage(img: RgbImage, p: AugmentParams): Float32Array {
  const out = new Float32Array(img.width * img.height * 3);
  if (p.hflip || p.vflip || p.angle !== 0 || p.crop !== null) resample(img, p, out);
  else for (let i = 0; i < out.length; i++) out[i] = img.data[i] / 255;
  jitterColour(out, p);
  return out;
}
