import { RgbImage } from '../types';

/**
 * The image operations of timm's RandAugment, on 8-bit RGB arrays, written from Pillow's definitions
 * (ImageOps, ImageEnhance, and libImaging's Convert, Blend, Filter and Geometry) so that the results
 * equal Pillow's: the same integer look-up tables, the same float32 blends and the same double-precision
 * affine resampling. Each returns a new image; the input is never changed.
 */

const { floor, fround, max, min, trunc } = Math;

function withData(img: RgbImage, data: Uint8Array): RgbImage {
  return { width: img.width, height: img.height, data };
}

/** Maps every channel value through a 256-entry table per channel (Pillow's Image.point). */
function applyLut(img: RgbImage, luts: [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>]): RgbImage {
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    out[i] = luts[0][src[i]];
    out[i + 1] = luts[1][src[i + 1]];
    out[i + 2] = luts[2][src[i + 2]];
  }
  return withData(img, out);
}

function sameLut(lut: ArrayLike<number>): [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>] {
  return [lut, lut, lut];
}

function histograms(img: RgbImage): [Int32Array, Int32Array, Int32Array] {
  const h: [Int32Array, Int32Array, Int32Array] = [new Int32Array(256), new Int32Array(256), new Int32Array(256)];
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) {
    h[0][d[i]]++;
    h[1][d[i + 1]]++;
    h[2][d[i + 2]]++;
  }
  return h;
}

const identityLut = Uint8Array.from({ length: 256 }, (_, i) => i);

/** ImageOps.autocontrast (cutoff 0): each channel stretched so its darkest value is 0 and its brightest 255. */
export function autoContrast(img: RgbImage): RgbImage {
  const luts = histograms(img).map((h) => {
    let lo = 0;
    while (lo < 255 && h[lo] === 0) lo++;
    let hi = 255;
    while (hi > 0 && h[hi] === 0) hi--;
    if (hi <= lo) return identityLut;
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    return Uint8Array.from({ length: 256 }, (_, ix) => min(255, max(0, trunc(ix * scale + offset))));
  });
  return applyLut(img, luts as [Uint8Array, Uint8Array, Uint8Array]);
}

/** ImageOps.equalize: per channel, the cumulative histogram (without its last bin) in 255 integer steps. */
export function equalize(img: RgbImage): RgbImage {
  const luts = histograms(img).map((h) => {
    const used = Array.from(h).filter((v) => v > 0);
    if (used.length <= 1) return identityLut;
    const step = floor((used.reduce((s, v) => s + v, 0) - used[used.length - 1]) / 255);
    if (step === 0) return identityLut;
    const lut = new Uint8Array(256);
    let n = floor(step / 2);
    for (let i = 0; i < 256; i++) {
      lut[i] = min(255, floor(n / step));
      n += h[i];
    }
    return lut;
  });
  return applyLut(img, luts as [Uint8Array, Uint8Array, Uint8Array]);
}

export function invert(img: RgbImage): RgbImage {
  return applyLut(img, sameLut(Uint8Array.from({ length: 256 }, (_, i) => 255 - i)));
}

/** ImageOps.posterize: keep the top `bits` bits (timm leaves the image alone from 8 bits). */
export function posterize(img: RgbImage, bits: number): RgbImage {
  if (bits >= 8) return img;
  const mask = ~(2 ** (8 - bits) - 1);
  return applyLut(img, sameLut(Uint8Array.from({ length: 256 }, (_, i) => i & mask)));
}

/** ImageOps.solarize: values at or above the threshold are inverted. */
export function solarize(img: RgbImage, threshold: number): RgbImage {
  return applyLut(img, sameLut(Uint8Array.from({ length: 256 }, (_, i) => (i < threshold ? i : 255 - i))));
}

/** timm's solarize_add: `add` is added (saturating) to values below the threshold. */
export function solarizeAdd(img: RgbImage, add: number, threshold = 128): RgbImage {
  return applyLut(img, sameLut(Uint8Array.from({ length: 256 }, (_, i) => (i < threshold ? min(255, i + add) : i))));
}

/** Convert.c rgb2l: ITU-R 601-2 luma in 16-bit fixed point, rounded. */
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/**
 * Image.blend(degenerate, img, factor) as Blend.c computes it: alpha is a C float, each value
 * (float)in1 + alpha·(in2 − in1) in float32, truncated; outside [0, 1] the result is clipped first.
 */
function blend(degenerate: Uint8Array, img: RgbImage, factor: number): RgbImage {
  if (factor === 0) return withData(img, degenerate.slice());
  if (factor === 1) return withData(img, img.data.slice());
  const a = fround(factor);
  const src = img.data;
  const out = new Uint8Array(src.length);
  const inside = a >= 0 && a <= 1;
  for (let i = 0; i < src.length; i++) {
    const d = degenerate[i];
    const t = fround(d + fround(a * (src[i] - d)));
    out[i] = inside ? t : t <= 0 ? 0 : t >= 255 ? 255 : t;
  }
  return withData(img, out);
}

/** ImageEnhance.Color: blend with the grey (luma) image. */
export function color(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  const grey = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i += 3) grey[i] = grey[i + 1] = grey[i + 2] = luma(d[i], d[i + 1], d[i + 2]);
  return blend(grey, img, factor);
}

/** ImageEnhance.Contrast: blend with a flat image of the rounded mean luma. */
export function contrast(img: RgbImage, factor: number): RgbImage {
  const d = img.data;
  let sum = 0;
  for (let i = 0; i < d.length; i += 3) sum += luma(d[i], d[i + 1], d[i + 2]);
  const mean = trunc(sum / (d.length / 3) + 0.5);
  return blend(new Uint8Array(d.length).fill(mean), img, factor);
}

/** ImageEnhance.Brightness: blend with black. */
export function brightness(img: RgbImage, factor: number): RgbImage {
  return blend(new Uint8Array(img.data.length), img, factor);
}

/** ImageFilter.SMOOTH (3x3 kernel 1 1 1 / 1 5 1 / 1 1 1, scale 13) as Filter.c's float32 3x3 filter; the border is copied. */
function smooth(img: RgbImage): Uint8Array {
  const { width: W, height: H, data: src } = img;
  const out = src.slice();
  if (W < 3 || H < 3) return out;
  const k1 = fround(1 / 13);
  const k5 = fround(5 / 13);
  const offset = 0.5; // Filter.c adds 0.5 to the offset once so that truncation rounds
  const row = (o: number, kc: number): number => fround(fround(fround(src[o - 3] * k1) + fround(src[o] * kc)) + fround(src[o + 3] * k1));
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      for (let c = 0; c < 3; c++) {
        const o = (y * W + x) * 3 + c;
        let ss = offset;
        ss = fround(ss + row(o + W * 3, k1));
        ss = fround(ss + row(o, k5));
        ss = fround(ss + row(o - W * 3, k1));
        out[o] = ss <= 0 ? 0 : ss >= 255 ? 255 : trunc(ss);
      }
    }
  }
  return out;
}

/** ImageEnhance.Sharpness: blend with the smoothed image (factors above 1 sharpen). */
export function sharpness(img: RgbImage, factor: number): RgbImage {
  return blend(smooth(img), img, factor);
}

export type Interpolation = 'bilinear' | 'bicubic';
/** An affine map from output pixel centres to input coordinates: x' = a·x + b·y + c, y' = d·x + e·y + f. */
export type Affine = [number, number, number, number, number, number];

const clipIndex = (v: number, n: number): number => (v < 0 ? 0 : v < n ? v : n - 1);

function cubic(v1: number, v2: number, v3: number, v4: number, d: number): number {
  const p1 = v2;
  const p2 = -v1 + v3;
  const p3 = 2 * (v1 - v2) + v3 - v4;
  const p4 = -v1 + v2 - v3 + v4;
  return p1 + d * (p2 + d * (p3 + d * p4));
}

/**
 * Image.transform(AFFINE) with Pillow's generic transform (Geometry.c): each output pixel centre maps
 * into the input; outside the input it keeps `fill`, inside it is sampled bilinearly (2x2) or
 * bicubically (4x4, a = −0.5, clamped to the edge), truncated to 8 bits, in double precision.
 */
export function affine(img: RgbImage, m: Affine, interpolation: Interpolation, fill: readonly [number, number, number]): RgbImage {
  const { width: W, height: H, data: src } = img;
  const out = new Uint8Array(src.length);
  const [a0, a1, a2, a3, a4, a5] = m;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const xo = x + 0.5;
      const yo = y + 0.5;
      let xin = a0 * xo + a1 * yo + a2;
      let yin = a3 * xo + a4 * yo + a5;
      if (xin < 0 || xin >= W || yin < 0 || yin >= H) {
        out[o] = fill[0];
        out[o + 1] = fill[1];
        out[o + 2] = fill[2];
        continue;
      }
      xin -= 0.5;
      yin -= 0.5;
      const ix = floor(xin);
      const iy = floor(yin);
      const dx = xin - ix;
      const dy = yin - iy;
      if (interpolation === 'bilinear') {
        const x0 = clipIndex(ix, W) * 3;
        const x1 = clipIndex(ix + 1, W) * 3;
        const r0 = clipIndex(iy, H) * W * 3;
        const hasR1 = iy + 1 >= 0 && iy + 1 < H;
        const r1 = (iy + 1) * W * 3;
        for (let c = 0; c < 3; c++) {
          const v1 = src[r0 + x0 + c] + (src[r0 + x1 + c] - src[r0 + x0 + c]) * dx;
          const v2 = hasR1 ? src[r1 + x0 + c] + (src[r1 + x1 + c] - src[r1 + x0 + c]) * dx : v1;
          out[o + c] = trunc(v1 + (v2 - v1) * dy);
        }
      } else {
        const bx = ix - 1;
        const by = iy - 1;
        const c0 = clipIndex(bx, W) * 3;
        const c1 = clipIndex(bx + 1, W) * 3;
        const c2 = clipIndex(bx + 2, W) * 3;
        const c3 = clipIndex(bx + 3, W) * 3;
        // Rows beyond the image repeat the last one inside, as Geometry.c's BICUBIC_BODY does.
        const r0 = clipIndex(by, H) * W * 3;
        const in1 = by + 1 >= 0 && by + 1 < H;
        const in2 = by + 2 >= 0 && by + 2 < H;
        const in3 = by + 3 >= 0 && by + 3 < H;
        const r1 = (by + 1) * W * 3;
        const r2 = (by + 2) * W * 3;
        const r3 = (by + 3) * W * 3;
        for (let c = 0; c < 3; c++) {
          const w1 = cubic(src[r0 + c0 + c], src[r0 + c1 + c], src[r0 + c2 + c], src[r0 + c3 + c], dx);
          const w2 = in1 ? cubic(src[r1 + c0 + c], src[r1 + c1 + c], src[r1 + c2 + c], src[r1 + c3 + c], dx) : w1;
          const w3 = in2 ? cubic(src[r2 + c0 + c], src[r2 + c1 + c], src[r2 + c2 + c], src[r2 + c3 + c], dx) : w2;
          const w4 = in3 ? cubic(src[r3 + c0 + c], src[r3 + c1 + c], src[r3 + c2 + c], src[r3 + c3 + c], dx) : w3;
          const v = cubic(w1, w2, w3, w4, dy);
          out[o + c] = v <= 0 ? 0 : v >= 255 ? 255 : trunc(v);
        }
      }
    }
  }
  return withData(img, out);
}

/** Python's round(x, 15), which Image.rotate applies to its matrix entries. */
function round15(x: number): number {
  return Number(x.toFixed(15));
}

/** Image.rotate(degrees) about the centre, same size: the inverse rotation matrix as Pillow builds it. */
export function rotate(img: RgbImage, degrees: number, interpolation: Interpolation, fill: readonly [number, number, number]): RgbImage {
  const angleMod = ((degrees % 360) + 360) % 360;
  if (angleMod === 0) return withData(img, img.data.slice());
  // math.radians multiplies by the constant pi/180.
  const angle = -(angleMod * (Math.PI / 180));
  const m: Affine = [round15(Math.cos(angle)), round15(Math.sin(angle)), 0, round15(-Math.sin(angle)), round15(Math.cos(angle)), 0];
  const cx = img.width / 2;
  const cy = img.height / 2;
  const tx = m[0] * -cx + m[1] * -cy + m[2];
  const ty = m[3] * -cx + m[4] * -cy + m[5];
  m[2] = tx + cx;
  m[5] = ty + cy;
  return affine(img, m, interpolation, fill);
}
