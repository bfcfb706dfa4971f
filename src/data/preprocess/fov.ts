import { RgbImage } from '../types';

const { ceil, max, min } = Math;

/** A box in pixels of the image it was found in. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The field of view found in an image, and whether there was one (else the box is the whole image). */
export interface FieldOfView extends Box {
  found: boolean;
  /** Centre of the disc fitted to the bright extent of each row and column (may lie outside the box's middle when the disc is cut off). */
  centre?: { x: number; y: number };
}

/**
 * A row (column) belongs to the field of view when at least this fraction of the longest bright row
 * (column) is bright there. A disc's chord reaches 5% of its diameter 0.1% of a radius inside its rim,
 * so the box loses nothing, while text, a date stamp or a camera logo in the black border — short
 * runs next to a fundus hundreds of pixels across — stays outside it.
 */
export const FOV_LINE_FRACTION = 0.05;

/** A box smaller than this fraction of the image's shorter side means no fundus was found. */
const MIN_FOV_FRACTION = 0.1;

/** Rows (columns) from lo to hi-1 whose count reaches FOV_LINE_FRACTION of the largest, or null. */
function span(counts: Int32Array): [number, number] | null {
  let top = 0;
  for (let k = 0; k < counts.length; k++) top = max(top, counts[k]);
  if (top === 0) return null;
  const need = max(1, ceil(FOV_LINE_FRACTION * top));
  let lo = 0;
  while (counts[lo] < need) lo++;
  let hi = counts.length - 1;
  while (counts[hi] < need) hi--;
  return [lo, hi + 1];
}

/**
 * The centre of a disc along one axis from its chords: a chord of length c at position t satisfies
 * (c/2)² + t² = 2·centre·t + (r² − centre²), a straight line in t, so a least-squares fit over the
 * lines in [lo, hi) gives the centre as half the slope. Null when too few lines.
 */
function fitCentre(chords: Int32Array, lo: number, hi: number): number | null {
  let n = 0;
  let st = 0;
  let sz = 0;
  let stt = 0;
  let stz = 0;
  for (let k = lo; k < hi; k++) {
    if (chords[k] <= 0) continue;
    const t = k + 0.5;
    const z = (chords[k] / 2) ** 2 + t * t;
    n++;
    st += t;
    sz += z;
    stt += t * t;
    stz += t * z;
  }
  const varT = stt - (st * st) / n;
  if (n < 3 || varT <= 0) return null;
  return (stz - (st * sz) / n) / varT / 2;
}

/** Bright pixels per row within columns [x0, x1) and per column within rows [y0, y1). */
function countLines(mask: Uint8Array, W: number, H: number, x0: number, x1: number, y0: number, y1: number): { rows: Int32Array; cols: Int32Array } {
  const rows = new Int32Array(H);
  const cols = new Int32Array(W);
  for (let y = 0; y < H; y++) {
    const inRows = y >= y0 && y < y1;
    let count = 0;
    for (let x = 0, i = y * W; x < W; x++, i++) {
      if (mask[i] === 0) continue;
      if (x >= x0 && x < x1) count++;
      if (inRows) cols[x]++;
    }
    rows[y] = count;
  }
  return { rows, cols };
}

/**
 * Finds the circular fundus: pixels whose grey level (Rec. 601 luma) exceeds `tolerance` are bright;
 * the box spans the rows and columns with enough bright pixels (FOV_LINE_FRACTION). Counting is
 * repeated within the box found (rows within its columns, columns within its rows), so a label that
 * is long in one direction but lies beside the disc drops out too. The disc's centre is fitted to
 * each row's and column's bright extent inside the box. An image with no dark border gives the whole
 * image; an all-dark one the whole image with found = false.
 */
export function findFieldOfView(img: RgbImage, tolerance: number): FieldOfView {
  const { width: W, height: H, data } = img;
  const mask = new Uint8Array(W * H);
  // luma * 1000 in integers: 299 r + 587 g + 114 b > 1000 * tolerance
  const limit = tolerance * 1000;
  for (let k = 0, i = 0; k < mask.length; k++, i += 3) {
    if (299 * data[i] + 587 * data[i + 1] + 114 * data[i + 2] > limit) mask[k] = 1;
  }
  const whole: FieldOfView = { x: 0, y: 0, width: W, height: H, found: false };
  let xs: [number, number] | null = [0, W];
  let ys: [number, number] | null = [0, H];
  for (let pass = 0; pass < 3 && xs && ys; pass++) {
    const { rows, cols } = countLines(mask, W, H, xs[0], xs[1], ys[0], ys[1]);
    const nextX = span(cols);
    const nextY = span(rows);
    const same: boolean = !!nextX && !!nextY && nextX[0] === xs[0] && nextX[1] === xs[1] && nextY[0] === ys[0] && nextY[1] === ys[1];
    xs = nextX;
    ys = nextY;
    if (same) break;
  }
  if (!ys || !xs) return whole;
  const box = { x: xs[0], y: ys[0], width: xs[1] - xs[0], height: ys[1] - ys[0] };
  if (max(box.width, box.height) < MIN_FOV_FRACTION * min(W, H)) return whole;
  // Chord per line: from the first to the last bright pixel inside the box.
  const rowChord = new Int32Array(H);
  const colFirst = new Int32Array(W).fill(-1);
  const colLast = new Int32Array(W).fill(-1);
  for (let y = ys[0]; y < ys[1]; y++) {
    let first = -1;
    let last = -1;
    for (let x = xs[0], i = y * W + xs[0]; x < xs[1]; x++, i++) {
      if (mask[i] === 0) continue;
      if (first < 0) first = x;
      last = x;
      if (colFirst[x] < 0) colFirst[x] = y;
      colLast[x] = y;
    }
    rowChord[y] = first < 0 ? 0 : last - first + 1;
  }
  const colChord = new Int32Array(W);
  for (let x = xs[0]; x < xs[1]; x++) colChord[x] = colFirst[x] < 0 ? 0 : colLast[x] - colFirst[x] + 1;
  const cy = fitCentre(rowChord, ys[0], ys[1]);
  const cx = fitCentre(colChord, xs[0], xs[1]);
  const fov: FieldOfView = { ...box, found: true };
  if (cx !== null && cy !== null) fov.centre = { x: cx, y: cy };
  return fov;
}

/**
 * The square around a field of view: side = the box's longer side (the disc's diameter). Along the
 * shorter side the square is centred on the fitted disc centre (a disc cut off more at the top than at
 * the bottom is not centred on its box), kept so that the square still holds the whole box; without a
 * fitted centre, on the box. Filling the square's parts outside the image with black makes the disc whole.
 */
export function squareAround(fov: Box & { centre?: { x: number; y: number } }): Box {
  const side = max(fov.width, fov.height);
  const along = (start: number, length: number, fitted: number | undefined): number => {
    const middle = start + length / 2;
    if (length === side || fitted === undefined || !Number.isFinite(fitted)) return middle;
    // The square [c - side/2, c + side/2] must hold [start, start + length].
    return min(start + side / 2, max(start + length - side / 2, fitted));
  };
  const cx = along(fov.x, fov.width, fov.centre?.x);
  const cy = along(fov.y, fov.height, fov.centre?.y);
  return { x: cx - side / 2, y: cy - side / 2, width: side, height: side };
}
