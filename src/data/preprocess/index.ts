import sharp from 'sharp';
import { PreprocessConfig } from '../config';
import { resizeRgb } from '../image';
import { RgbImage } from '../types';
import { benGraham } from './ben-graham';
import { applyClahe } from './clahe';
import { Box, findFieldOfView, squareAround } from './fov';

export { findFieldOfView, squareAround, FOV_LINE_FRACTION } from './fov';
export type { Box, FieldOfView } from './fov';
export { claheChannel, applyClahe } from './clahe';
export { benGraham } from './ben-graham';

/** Bump when the preprocessing's output changes for the same settings: it invalidates disk caches. */
export const PREPROCESS_VERSION = 1;

export function hasPreprocessing(cfg: PreprocessConfig): boolean {
  return cfg.fovCrop !== null || cfg.benGraham !== null || cfg.clahe !== null;
}

/**
 * Side of the square the chain works at before the model's resize: Ben Graham's 2·radius when set,
 * else the output size (or the square's own side for a full-size image).
 */
export function workingSide(cfg: PreprocessConfig, size: number | undefined, squareSide: number): number {
  if (cfg.benGraham && cfg.benGraham.radius !== null) return 2 * cfg.benGraham.radius;
  return size ?? Math.max(1, Math.round(squareSide));
}

/**
 * How large a photograph must be decoded for the chain to lose nothing: the fundus spans at least
 * half of the longer side in fundus photographs, so twice the working side is plenty (sharp then lets
 * libjpeg decode at a reduced scale).
 */
export function decodeSideFor(cfg: PreprocessConfig, size: number): number {
  return 2 * workingSide(cfg, size, size);
}

/** The square `sq` (which may reach outside the image) cut from `img`, black outside, scaled to side x side. */
async function cutSquare(img: RgbImage, sq: Box, side: number): Promise<RgbImage> {
  const { width: W, height: H } = img;
  const x0 = Math.max(0, Math.round(sq.x));
  const y0 = Math.max(0, Math.round(sq.y));
  const x1 = Math.min(W, Math.round(sq.x + sq.width));
  const y1 = Math.min(H, Math.round(sq.y + sq.height));
  const scale = side / sq.width;
  // Place the inside part, scaled, at its position in the square; black elsewhere.
  const w = Math.max(1, Math.min(side, Math.round((x1 - x0) * scale)));
  const h = Math.max(1, Math.min(side, Math.round((y1 - y0) * scale)));
  const left = Math.min(side - w, Math.max(0, Math.round((x0 - sq.x) * scale)));
  const top = Math.min(side - h, Math.max(0, Math.round((y0 - sq.y) * scale)));
  const { data, info } = await sharp(img.data, { raw: { width: W, height: H, channels: 3 } })
    .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
    .resize(w, h, { fit: 'fill' })
    .extend({ top, bottom: side - h - top, left, right: side - w - left, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== side || info.height !== side) throw new Error(`cutSquare made ${info.width}x${info.height}, not ${side}x${side}`);
  return { width: side, height: side, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * The fundus preprocessing chain on a decoded image, then the resize to size x size (when given):
 * - fovCrop: the field of view's square (see squareAround), black outside the photograph, at the
 *   working side; without fovCrop the image is resized like the pipeline does ('cover').
 * - clahe: on the green channel.
 * - benGraham: local average subtraction and the grey circular mask, at 2·radius (default: at the output size).
 */
export async function preprocessRgb(img: RgbImage, cfg: PreprocessConfig, size?: number): Promise<RgbImage> {
  let out: RgbImage;
  let fovInSquare: Box | undefined;
  if (cfg.fovCrop) {
    const fov = findFieldOfView(img, cfg.fovCrop.tolerance);
    const sq = squareAround(fov);
    const side = workingSide(cfg, size, sq.width);
    out = await cutSquare(img, sq, side);
    const scale = side / sq.width;
    fovInSquare = { x: (fov.x - sq.x) * scale, y: (fov.y - sq.y) * scale, width: fov.width * scale, height: fov.height * scale };
  } else {
    out = size !== undefined ? await resizeRgb(img, size) : img;
  }
  if (cfg.clahe) out = applyClahe(out, cfg.clahe);
  if (cfg.benGraham) out = await benGraham(out, cfg.benGraham, fovInSquare);
  if (size !== undefined && (out.width !== size || out.height !== size)) out = await resizeRgb(out, size);
  return out;
}
