import { RgbImage } from '../types';

// Math functions bound once per module: a hot loop then does no global lookup per call, which is slow
// inside vm contexts (jest runs tests in one) and costs nothing elsewhere.
const { ceil, floor, max, min, round, sqrt } = Math;

/**
 * A square floating-point RGB canvas (values nominally in [0, 1], interleaved, row-major) with the
 * few anti-aliased drawing primitives the fundus renderer needs. Pure JS: no native canvas.
 */
export class Canvas {
  readonly data: Float32Array;

  constructor(readonly size: number) {
    this.data = new Float32Array(size * size * 3);
  }
}

/** How a shape changes the pixels it covers: tint (multiply, like blood over retina) or paint over (mix). */
export interface Paint {
  mode: 'multiply' | 'mix';
  rgb: readonly [number, number, number];
  /** Strength at full coverage, 0..1. */
  alpha: number;
}

function apply(data: Float32Array, i: number, paint: Paint, coverage: number): void {
  const a = paint.alpha * coverage;
  if (a <= 0) return;
  const [r, g, b] = paint.rgb;
  if (paint.mode === 'multiply') {
    data[i] *= 1 - a + a * r;
    data[i + 1] *= 1 - a + a * g;
    data[i + 2] *= 1 - a + a * b;
  } else {
    data[i] += a * (r - data[i]);
    data[i + 1] += a * (g - data[i + 1]);
    data[i + 2] += a * (b - data[i + 2]);
  }
}

/**
 * A filled circle (pixel units) whose edge fades over `featherPx` pixels; a feather of about 1
 * anti-aliases, larger ones give soft blobs.
 */
export function stampCircle(c: Canvas, x: number, y: number, r: number, paint: Paint, featherPx = 1): void {
  const f = max(featherPx, 1e-3);
  const reach = r + f / 2;
  const x0 = max(0, floor(x - reach));
  const x1 = min(c.size - 1, ceil(x + reach));
  const y0 = max(0, floor(y - reach));
  const y1 = min(c.size - 1, ceil(y + reach));
  // A circle smaller than a pixel still darkens it in proportion to its area.
  const areaScale = r < 0.5 ? 4 * r * r : 1;
  for (let py = y0; py <= y1; py++) {
    const dy = py + 0.5 - y;
    for (let px = x0; px <= x1; px++) {
      const dx = px + 0.5 - x;
      const d = sqrt(dx * dx + dy * dy);
      const cov = min(1, max(0, (reach - d) / f)) * areaScale;
      if (cov > 0) apply(c.data, (py * c.size + px) * 3, paint, cov);
    }
  }
}

/**
 * Adds a stroke of width `width` (pixels) from (x0, y0) to (x1, y1) into a coverage mask, keeping the
 * maximum where strokes overlap so that joints of a polyline do not darken twice.
 */
export function strokeSegment(mask: Float32Array, size: number, x0: number, y0: number, x1: number, y1: number, width: number): void {
  const half = width / 2;
  const maxCov = min(1, width); // a hair-thin vessel only tints its pixels
  const reach = half + 1;
  const bx0 = max(0, floor(min(x0, x1) - reach));
  const bx1 = min(size - 1, ceil(max(x0, x1) + reach));
  const by0 = max(0, floor(min(y0, y1) - reach));
  const by1 = min(size - 1, ceil(max(y0, y1) + reach));
  const vx = x1 - x0;
  const vy = y1 - y0;
  const len2 = vx * vx + vy * vy;
  for (let py = by0; py <= by1; py++) {
    const cy = py + 0.5;
    for (let px = bx0; px <= bx1; px++) {
      const cx = px + 0.5;
      let t = len2 > 0 ? ((cx - x0) * vx + (cy - y0) * vy) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const dx = cx - (x0 + t * vx);
      const dy = cy - (y0 + t * vy);
      const d = sqrt(dx * dx + dy * dy);
      const cov = min(maxCov, max(0, half + 0.5 - d));
      const i = py * size + px;
      if (cov > mask[i]) mask[i] = cov;
    }
  }
}

/** Paints through a coverage mask (one value per pixel). */
export function applyMask(c: Canvas, mask: Float32Array, paint: Paint): void {
  for (let i = 0; i < mask.length; i++) if (mask[i] > 0) apply(c.data, i * 3, paint, mask[i]);
}

/** One pass of a horizontal then vertical running-box blur of integer radius, per channel. */
function boxBlur(c: Canvas, radius: number): void {
  const n = c.size;
  const src = c.data;
  const tmp = new Float32Array(src.length);
  const w = 2 * radius + 1;
  // Edges clamp to the border pixel, so the black surround stays black.
  for (let y = 0; y < n; y++) {
    for (let ch = 0; ch < 3; ch++) {
      const row = y * n * 3 + ch;
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += src[row + min(n - 1, max(0, k)) * 3];
      for (let x = 0; x < n; x++) {
        tmp[row + x * 3] = sum / w;
        sum += src[row + min(n - 1, x + radius + 1) * 3] - src[row + max(0, x - radius) * 3];
      }
    }
  }
  for (let x = 0; x < n; x++) {
    for (let ch = 0; ch < 3; ch++) {
      const col = x * 3 + ch;
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += tmp[col + min(n - 1, max(0, k)) * n * 3];
      for (let y = 0; y < n; y++) {
        src[col + y * n * 3] = sum / w;
        sum += tmp[col + min(n - 1, y + radius + 1) * n * 3] - tmp[col + max(0, y - radius) * n * 3];
      }
    }
  }
}

/** A 3-tap [a, 1 - 2a, a] blur, for softening below a pixel. */
function tapBlur(c: Canvas, a: number): void {
  const n = c.size;
  const src = c.data;
  const tmp = new Float32Array(src.length);
  const m = 1 - 2 * a;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const i = (y * n + x) * 3;
      const l = (y * n + max(0, x - 1)) * 3;
      const r = (y * n + min(n - 1, x + 1)) * 3;
      for (let ch = 0; ch < 3; ch++) tmp[i + ch] = a * src[l + ch] + m * src[i + ch] + a * src[r + ch];
    }
  }
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const i = (y * n + x) * 3;
      const u = (max(0, y - 1) * n + x) * 3;
      const d = (min(n - 1, y + 1) * n + x) * 3;
      for (let ch = 0; ch < 3; ch++) src[i + ch] = a * tmp[u + ch] + m * tmp[i + ch] + a * tmp[d + ch];
    }
  }
}

/**
 * Approximately Gaussian blur with standard deviation `sigma` pixels: three box passes whose
 * variances add up to sigma^2 (a box of radius r has variance r(r+1)/3), or one 3-tap pass below a pixel.
 */
export function blur(c: Canvas, sigma: number): void {
  if (sigma <= 0.05) return;
  if (sigma < 0.8) {
    tapBlur(c, min(1 / 3, (sigma * sigma) / 2));
    return;
  }
  const varianceEach = (sigma * sigma) / 3;
  const r = max(1, round((-1 + sqrt(1 + 12 * varianceEach)) / 2));
  for (let pass = 0; pass < 3; pass++) boxBlur(c, r);
}

/** Quantises to 8-bit RGB (clamped, rounded), mirrored left-right when asked. */
export function toRgbImage(c: Canvas, mirror: boolean): RgbImage {
  const n = c.size;
  const out = new Uint8Array(n * n * 3);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const si = (y * n + x) * 3;
      const di = (y * n + (mirror ? n - 1 - x : x)) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const v = c.data[si + ch] * 255;
        out[di + ch] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
      }
    }
  }
  return { width: n, height: n, data: out };
}
