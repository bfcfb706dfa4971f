import * as fs from 'fs';
import * as path from 'path';
import { RgbImage } from './types';

/** "FTC1": fundus-train cache, format 1: magic, width, height (u32 LE), then width*height*3 RGB bytes. */
const MAGIC = 0x31435446;
const HEADER = 12;

let tmpCounter = 0;

/**
 * Preprocessed images on disk, one uncompressed file per key under `dir/<2 hex>/<key>.rgb`. Raw bytes:
 * reading one back is a single read with no decode (about 150 KB at 224 px, 430 KB at 380 px).
 * Writes go to a unique temporary name and are renamed into place, so a reader (another process, a
 * killed run) never sees a torn entry; an entry with a bad header or length counts as absent.
 */
export class DiskImageCache {
  constructor(readonly dir: string) {}

  fileOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.rgb`);
  }

  async get(key: string): Promise<RgbImage | undefined> {
    let buf: Buffer;
    try {
      buf = await fs.promises.readFile(this.fileOf(key));
    } catch {
      return undefined;
    }
    if (buf.length < HEADER || buf.readUInt32LE(0) !== MAGIC) return undefined;
    const width = buf.readUInt32LE(4);
    const height = buf.readUInt32LE(8);
    if (buf.length !== HEADER + width * height * 3) return undefined;
    return { width, height, data: new Uint8Array(buf.buffer, buf.byteOffset + HEADER, width * height * 3) };
  }

  /** Stores an image; throws when the folder cannot be written (the caller decides what that means). */
  async set(key: string, img: RgbImage): Promise<void> {
    const file = this.fileOf(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const head = Buffer.alloc(HEADER);
    head.writeUInt32LE(MAGIC, 0);
    head.writeUInt32LE(img.width, 4);
    head.writeUInt32LE(img.height, 8);
    const tmp = `${file}.tmp-${process.pid}-${++tmpCounter}`;
    try {
      await fs.promises.writeFile(tmp, Buffer.concat([head, Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength)]));
      await fs.promises.rename(tmp, file);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }
}
