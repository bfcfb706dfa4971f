import { Rng } from '../../util/random';

/** timm's RandomErasing options (timm.data.random_erasing), as data.augment.randomErasing gives them. */
export interface RandomErasingOptions {
  prob: number;
  /** const: zeros (the normalised mean); rand: one normal colour per box; pixel: normal noise per pixel. */
  mode: 'const' | 'rand' | 'pixel';
  minArea: number;
  maxArea: number;
  minAspect: number;
  maxAspect: number | null;
  minCount: number;
  maxCount: number | null;
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Erases boxes of one normalised image (HWC float32, in place), with timm's draws: apply with prob,
 * a box count in [minCount, maxCount], up to ten tries per box for an area in [minArea, maxArea]/count
 * of the image and a log-uniform aspect ratio whose rounded sides fit strictly inside the image.
 */
export function randomErase(x: Float32Array, offset: number, h: number, w: number, o: RandomErasingOptions, rng: Rng): void {
  if (rng.next() > o.prob) return;
  const area = h * w;
  const maxCount = o.maxCount ?? o.minCount;
  const count = o.minCount === maxCount ? o.minCount : o.minCount + rng.int(maxCount - o.minCount + 1);
  const logLo = Math.log(o.minAspect);
  const logHi = Math.log(o.maxAspect ?? 1 / o.minAspect);
  for (let k = 0; k < count; k++) {
    for (let attempt = 0; attempt < 10; attempt++) {
      const target = (rng.uniform(o.minArea, o.maxArea) * area) / count;
      const aspect = Math.exp(rng.uniform(logLo, logHi));
      const bh = roundHalfEven(Math.sqrt(target * aspect));
      const bw = roundHalfEven(Math.sqrt(target / aspect));
      if (!(bw < w && bh < h)) continue;
      const top = rng.int(h - bh + 1);
      const left = rng.int(w - bw + 1);
      const colour = o.mode === 'rand' ? [rng.normal(), rng.normal(), rng.normal()] : [0, 0, 0];
      for (let yy = top; yy < top + bh; yy++) {
        for (let xx = left; xx < left + bw; xx++) {
          const p = offset + (yy * w + xx) * 3;
          for (let c = 0; c < 3; c++) x[p + c] = o.mode === 'pixel' ? rng.normal() : colour[c];
        }
      }
      break;
    }
  }
}
