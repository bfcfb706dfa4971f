import * as fs from 'fs';
import sharp, { type Sharp } from 'sharp';
import { UserError } from '../util/errors';
import { RgbImage } from './types';

/**
 * How a non-square image becomes square:
 * - 'cover' (the default) keeps the aspect ratio and cuts the centre square out. Fundus photographs
 *   are wider than tall with the circular field of view spanning the height, so this cuts black
 *   border, not retina, and the optic disc stays round (the cup-to-disc ratio is a shape).
 * - 'fill' stretches the whole image to the square.
 */
export type ResizeFit = 'cover' | 'fill';
export const DEFAULT_RESIZE_FIT: ResizeFit = 'cover';

/**
 * Default of data.maxImagePixels: twice what the largest fundus cameras make (about 24
 * megapixels). Larger images are refused from their header, before decoding, so a small
 * file that claims 16000x16000 pixels (a decompression bomb) never allocates gigabytes.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 50_000_000;

/** What to tell the user when an image cannot be used. */
const BAD_IMAGE_HINT = 'replace or remove the file, or set data.skipBadImages: true to skip unreadable images';

function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}

/** The refusal of an image above the pixel limit, with its size read from the header. */
export function tooManyPixelsError(file: string, width: number, height: number, maxPixels: number): UserError {
  const mp = (n: number) => `${+(n / 1e6).toFixed(1)} megapixels`;
  return new UserError(
    `image ${file} is ${width}x${height} pixels (${mp(width * height)}), above data.maxImagePixels (${mp(maxPixels)}); no fundus camera makes such images: ${BAD_IMAGE_HINT}`,
  );
}

async function decodeError(file: string, e: unknown, maxPixels: number): Promise<UserError> {
  if (!fs.existsSync(file)) return new UserError(`image file not found: ${file}; ${BAD_IMAGE_HINT}`);
  if (e instanceof Error && /exceeds pixel limit/.test(e.message)) {
    const meta = await sharp(file)
      .metadata()
      .catch(() => undefined);
    if (meta?.width && meta.height) return tooManyPixelsError(file, meta.width, meta.height, maxPixels);
  }
  const why = e instanceof Error ? oneLine(e.message) : String(e);
  return new UserError(`cannot decode image ${file} (${why}); ${BAD_IMAGE_HINT}`);
}

/**
 * A sharp pipeline for a file: EXIF orientation applied, alpha dropped, grey expanded to sRGB.
 * failOn 'truncated' rejects cut-off files but tolerates the harmless warnings (extraneous bytes)
 * that many real fundus JPEGs carry.
 */
function open(file: string, maxPixels: number): Sharp {
  // limitInputPixels is checked against the header's dimensions before any pixel is decoded.
  return sharp(file, { failOn: 'truncated', limitInputPixels: maxPixels }).autoOrient();
}

async function toRgb(pipeline: Sharp, file: string): Promise<RgbImage> {
  const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new UserError(`cannot decode image ${file}: ${info.channels} channels after conversion to RGB; ${BAD_IMAGE_HINT}`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Decodes an image file to 8-bit RGB; a missing, corrupt, truncated or unsupported file is a UserError naming it. */
export async function decodeImage(file: string, maxPixels = DEFAULT_MAX_IMAGE_PIXELS): Promise<RgbImage> {
  try {
    return await toRgb(open(file, maxPixels), file);
  } catch (e) {
    throw e instanceof UserError ? e : await decodeError(file, e, maxPixels);
  }
}

/**
 * Decodes and resizes in one sharp call, which lets libjpeg decode at a reduced scale
 * (several times faster for large photographs). Same geometry as `resizeRgb(decodeImage(file))`.
 */
export async function decodeImageAtSize(
  file: string,
  size: number,
  fit: ResizeFit = DEFAULT_RESIZE_FIT,
  maxPixels = DEFAULT_MAX_IMAGE_PIXELS,
): Promise<RgbImage> {
  try {
    return await toRgb(open(file, maxPixels).resize(size, size, { fit, position: 'centre' }), file);
  } catch (e) {
    throw e instanceof UserError ? e : await decodeError(file, e, maxPixels);
  }
}

/**
 * Decodes so that neither side exceeds maxSide (aspect kept, never enlarged): the reduced-scale decode
 * for preprocessing that must see the whole photograph (the field of view) before cropping.
 */
export async function decodeImageInside(file: string, maxSide: number, maxPixels = DEFAULT_MAX_IMAGE_PIXELS): Promise<RgbImage> {
  try {
    return await toRgb(open(file, maxPixels).resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }), file);
  } catch (e) {
    throw e instanceof UserError ? e : await decodeError(file, e, maxPixels);
  }
}

/** Width and height of an image file as displayed (EXIF orientation applied), from its header. */
export async function imageDimensions(file: string): Promise<{ width: number; height: number }> {
  try {
    const meta = await sharp(file).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions in the header');
    const turned = (meta.orientation ?? 1) >= 5;
    return turned ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
  } catch (e) {
    throw await decodeError(file, e, DEFAULT_MAX_IMAGE_PIXELS);
  }
}

/** A UserError for an image smaller than data.minImageSize. */
export function tooSmallError(file: string, width: number, height: number, minSize: number): UserError {
  return new UserError(
    `image ${file} is ${width}x${height} pixels, below data.minImageSize (${minSize}); a fundus photograph is larger: ${BAD_IMAGE_HINT}`,
  );
}

/** Resizes an RGB image to size x size (see ResizeFit); returns the input itself when it already is that size. */
export async function resizeRgb(img: RgbImage, size: number, fit: ResizeFit = DEFAULT_RESIZE_FIT): Promise<RgbImage> {
  if (img.width === size && img.height === size) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(size, size, { fit, position: 'centre' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Encodes an RGB image as PNG (examples, reports, test fixtures). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();
}
