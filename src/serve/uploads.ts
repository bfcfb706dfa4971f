import sharp, { type Metadata } from 'sharp';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../data/image';

/** Image formats the app accepts, by what the bytes say (never the file name). */
export const ACCEPTED_FORMATS = ['jpeg', 'png', 'tiff', 'webp'] as const;
export type AcceptedFormat = (typeof ACCEPTED_FORMATS)[number];

/** An upload the app refuses, with the HTTP status and a message for the person who sent it. */
export class UploadError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

/** The format the first bytes announce (JPEG FF D8 FF, PNG's signature, TIFF II*\0 / MM\0*, RIFF....WEBP), or null. */
export function sniffImageFormat(bytes: Uint8Array): AcceptedFormat | null {
  const at = (offset: number, ...values: number[]) => values.every((v, i) => bytes[offset + i] === v);
  if (bytes.length >= 3 && at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (bytes.length >= 8 && at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (bytes.length >= 4 && (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a))) return 'tiff';
  if (bytes.length >= 12 && at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  return null;
}

/**
 * Checks that an uploaded file is a photograph the model can read: the magic bytes name an accepted
 * format, and the image decoder agrees (format and a plausible size in its header). Throws UploadError
 * (415 for the wrong kind of file, 422 for a damaged or tiny image, 413 above the pixel limit) with a message naming the eye.
 */
export async function checkUploadedImage(
  bytes: Buffer,
  label: string,
  minSide: number,
  maxPixels = DEFAULT_MAX_IMAGE_PIXELS,
): Promise<{ format: AcceptedFormat; width: number; height: number }> {
  if (bytes.length === 0) throw new UploadError(400, `${label}: the file is empty`);
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new UploadError(415, `${label}: not an image; its content is not JPEG, PNG, TIFF or WebP, whatever its name says`);
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: 'truncated' }).metadata();
  } catch (e) {
    throw new UploadError(422, `${label}: a damaged ${format.toUpperCase()} file (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  if (meta.format !== format) {
    throw new UploadError(415, `${label}: its bytes start like ${format.toUpperCase()} but it decodes as ${String(meta.format)}`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < minSide || height < minSide) {
    throw new UploadError(422, `${label}: ${width}x${height} pixels is too small for a fundus photograph (at least ${minSide}x${minSide})`);
  }
  // From the header alone: a few kilobytes of PNG can claim 16000x16000 pixels (gigabytes once decoded).
  if (width * height > maxPixels) {
    const mp = (n: number) => `${+(n / 1e6).toFixed(1)} megapixels`;
    throw new UploadError(
      413,
      `${label}: ${width}x${height} pixels (${mp(width * height)}) is above the limit of ${mp(maxPixels)}; no fundus camera makes such images`,
    );
  }
  return { format, width, height };
}
