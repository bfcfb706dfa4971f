import { ClaheConfig } from '../config';
import { RgbImage } from '../types';

const { floor, max, min, round } = Math;

const BINS = 256;

/**
 * One tile's mapping: the histogram clipped at clipLimit times the flat level, the clipped excess
 * spread evenly over all bins (the remainder one count each at even steps), then the scaled CDF.
 */
function tileLut(hist: Int32Array, area: number, clipLimit: number, out: Uint8Array, offset: number): void {
  const clip = max(1, floor((clipLimit * area) / BINS));
  let excess = 0;
  for (let v = 0; v < BINS; v++) {
    if (hist[v] > clip) {
      excess += hist[v] - clip;
      hist[v] = clip;
    }
  }
  const each = floor(excess / BINS);
  let rest = excess - each * BINS;
  for (let v = 0; v < BINS; v++) hist[v] += each;
  if (rest > 0) {
    const step = max(1, floor(BINS / rest));
    for (let v = 0; v < BINS && rest > 0; v += step, rest--) hist[v]++;
  }
  const scale = 255 / area;
  let cdf = 0;
  for (let v = 0; v < BINS; v++) {
    cdf += hist[v];
    out[offset + v] = min(255, round(cdf * scale));
  }
}

/**
 * Contrast-limited adaptive histogram equalisation of one channel of an interleaved 8-bit image:
 * a grid of tiles x tiles tiles, one clipped-histogram mapping per tile, and each pixel mapped by the
 * bilinear blend of the four nearest tiles' mappings (the scheme of Zuiderveld 1994, as OpenCV's
 * createCLAHE(clipLimit, (tiles, tiles))). Returns the new channel, width x height values.
 */
export function claheChannel(img: RgbImage, channel: number, clipLimit: number, tiles: number): Uint8Array {
  const { width: W, height: H, data } = img;
  const tx = max(1, min(tiles, W));
  const ty = max(1, min(tiles, H));
  const xEdge = Int32Array.from({ length: tx + 1 }, (_, i) => floor((i * W) / tx));
  const yEdge = Int32Array.from({ length: ty + 1 }, (_, i) => floor((i * H) / ty));
  const luts = new Uint8Array(tx * ty * BINS);
  const hist = new Int32Array(BINS);
  for (let j = 0; j < ty; j++) {
    for (let i = 0; i < tx; i++) {
      hist.fill(0);
      for (let y = yEdge[j]; y < yEdge[j + 1]; y++) {
        for (let x = xEdge[i], p = (y * W + x) * 3 + channel; x < xEdge[i + 1]; x++, p += 3) hist[data[p]]++;
      }
      tileLut(hist, (xEdge[i + 1] - xEdge[i]) * (yEdge[j + 1] - yEdge[j]), clipLimit, luts, (j * tx + i) * BINS);
    }
  }

  // Per column: the two tiles to blend and the weight of the second (tile centres at (i + 0.5) * W / tx).
  const colA = new Int32Array(W);
  const colB = new Int32Array(W);
  const colW = new Float32Array(W);
  for (let x = 0; x < W; x++) {
    const f = ((x + 0.5) * tx) / W - 0.5;
    const a = floor(f);
    colA[x] = max(0, min(tx - 1, a));
    colB[x] = max(0, min(tx - 1, a + 1));
    colW[x] = f - a;
  }
  const out = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    const f = ((y + 0.5) * ty) / H - 0.5;
    const a = floor(f);
    const rowA = max(0, min(ty - 1, a)) * tx;
    const rowB = max(0, min(ty - 1, a + 1)) * tx;
    const wy = f - a;
    for (let x = 0, p = y * W * 3 + channel; x < W; x++, p += 3) {
      const v = data[p];
      const wx = colW[x];
      const top = (1 - wx) * luts[(rowA + colA[x]) * BINS + v] + wx * luts[(rowA + colB[x]) * BINS + v];
      const bottom = (1 - wx) * luts[(rowB + colA[x]) * BINS + v] + wx * luts[(rowB + colB[x]) * BINS + v];
      out[y * W + x] = round((1 - wy) * top + wy * bottom);
    }
  }
  return out;
}

/** CLAHE on the green channel: the equalised green as a grey image, or put back into the colour image. */
export function applyClahe(img: RgbImage, cfg: ClaheConfig): RgbImage {
  const green = claheChannel(img, 1, cfg.clipLimit, cfg.tiles);
  const data = cfg.output === 'rgb' ? Uint8Array.from(img.data) : new Uint8Array(img.data.length);
  for (let k = 0, p = 0; k < green.length; k++, p += 3) {
    if (cfg.output === 'rgb') data[p + 1] = green[k];
    else data[p] = data[p + 1] = data[p + 2] = green[k];
  }
  return { width: img.width, height: img.height, data };
}
