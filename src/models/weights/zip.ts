/**
 * A synchronous reader of zip archives, enough for the files torch.save writes (stored or
 * deflated entries, zip64 for archives and entries past 4 GiB). It reads the central
 * directory at the end of the file and then only the entries asked for, each at its
 * offset. Written here rather than taken from yauzl because yauzl is callback-based and
 * streams entries, while the checkpoint reader wants random, synchronous access to one
 * storage at a time from inside the unpickler; the format subset needed is small.
 */
import * as zlib from 'zlib';
import { UserError } from '../../util/errors';
import { printable } from './printable';
import { FileRange } from './file-range';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** torch.save writes one entry per storage; an archive claiming more is not a checkpoint. */
const MAX_ENTRIES = 1 << 18;
/** Deflate cannot expand data by more than about 1032:1; an entry declaring more is a lie or a bomb. */
const MAX_DEFLATE_RATIO = 1032;

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();

  private constructor(private readonly range: FileRange) {}

  get file(): string {
    return this.range.file;
  }

  /** Opens `range` as a zip archive, reading its central directory. */
  static open(range: FileRange): ZipArchive {
    const zip = new ZipArchive(range);
    zip.readCentralDirectory();
    return zip;
  }

  private fail(message: string): never {
    throw new UserError(`${this.range.file}: ${message}`);
  }

  private readCentralDirectory(): void {
    const size = this.range.size;
    // The end-of-central-directory record is the last thing in the file, before an optional comment.
    const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
    const tail = this.range.read(size - tailLength, tailLength, 'the zip directory');
    const tailView = new DataView(tail.buffer);
    let eocd = -1;
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
      if (tailView.getUint32(i, true) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) this.fail('the zip end-of-directory record is missing; the file is truncated or not a zip archive');
    let count = tailView.getUint16(eocd + 10, true);
    let directorySize = tailView.getUint32(eocd + 12, true);
    let directoryOffset = tailView.getUint32(eocd + 16, true);
    const eocdPosition = size - tailLength + eocd;
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      ({ count, directorySize, directoryOffset } = this.readZip64End(eocdPosition));
    }
    if (directoryOffset + directorySize > eocdPosition) this.fail('the zip directory lies past its end record; the file is truncated or corrupt');
    if (count > MAX_ENTRIES) this.fail(`the zip directory claims ${count} entries, above the limit of ${MAX_ENTRIES}; the file is corrupt`);
    const directory = this.range.read(directoryOffset, directorySize, 'the zip directory');
    const view = new DataView(directory.buffer);
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > directorySize || view.getUint32(p, true) !== CENTRAL_SIGNATURE) this.fail(`zip directory entry ${i} is corrupt`);
      const flags = view.getUint16(p + 8, true);
      const method = view.getUint16(p + 10, true);
      const crc32 = view.getUint32(p + 16, true);
      let compressedSize = view.getUint32(p + 20, true);
      let entrySize = view.getUint32(p + 24, true);
      const nameLength = view.getUint16(p + 28, true);
      const extraLength = view.getUint16(p + 30, true);
      const commentLength = view.getUint16(p + 32, true);
      let localHeaderOffset = view.getUint32(p + 42, true);
      const name = Buffer.from(directory.subarray(p + 46, p + 46 + nameLength)).toString('utf8');
      if (flags & 1) this.fail(`zip entry ${printable(name)} is encrypted`);
      // Zip64 sizes live in extra field 0x0001, each present only where the 32-bit field is saturated.
      let e = p + 46 + nameLength;
      const extraEnd = e + extraLength;
      if (extraEnd + commentLength > directorySize)
        this.fail(`zip directory entry ${i} (${printable(name)}) runs past the end of the directory; the file is corrupt`);
      while (e + 4 <= extraEnd) {
        const id = view.getUint16(e, true);
        const length = view.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          const next = (): number => {
            if (q + 8 > e + 4 + length || q + 8 > extraEnd)
              this.fail(`zip entry ${printable(name)} has a truncated zip64 extra field; the file is corrupt`);
            const v = Number(view.getBigUint64(q, true));
            q += 8;
            return v;
          };
          if (entrySize === 0xffffffff) entrySize = next();
          if (compressedSize === 0xffffffff) compressedSize = next();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
        }
        e += 4 + length;
      }
      this.entries.set(name, { name, method, compressedSize, size: entrySize, crc32, localHeaderOffset });
      p = extraEnd + commentLength;
    }
  }

  private readZip64End(eocdPosition: number): { count: number; directorySize: number; directoryOffset: number } {
    if (eocdPosition < 20) this.fail('the zip64 end-of-directory locator is missing');
    const locator = new DataView(this.range.read(eocdPosition - 20, 20, 'the zip64 directory locator').buffer);
    if (locator.getUint32(0, true) !== ZIP64_LOCATOR_SIGNATURE) this.fail('the zip64 end-of-directory locator is missing');
    const recordOffset = Number(locator.getBigUint64(8, true));
    const record = new DataView(this.range.read(recordOffset, 56, 'the zip64 end-of-directory record').buffer);
    if (record.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) this.fail('the zip64 end-of-directory record is corrupt');
    return {
      count: Number(record.getBigUint64(32, true)),
      directorySize: Number(record.getBigUint64(40, true)),
      directoryOffset: Number(record.getBigUint64(48, true)),
    };
  }

  /** The entry's bytes, uncompressed, CRC-checked, in a fresh 8-byte-aligned buffer. */
  read(entry: ZipEntry): Uint8Array {
    const local = new DataView(this.range.read(entry.localHeaderOffset, 30, `the zip header of ${printable(entry.name)}`).buffer);
    if (local.getUint32(0, true) !== LOCAL_SIGNATURE) this.fail(`zip entry ${printable(entry.name)} has a corrupt local header`);
    // The local extra field may differ from the central one (torch pads it to align the data).
    const dataOffset = entry.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    let bytes: Uint8Array;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) this.fail(`stored zip entry ${printable(entry.name)} has inconsistent sizes`);
      bytes = this.range.read(dataOffset, entry.size, `zip entry ${printable(entry.name)}`);
    } else if (entry.method === 8) {
      if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
        this.fail(
          `zip entry ${printable(entry.name)} declares ${entry.size} bytes from ${entry.compressedSize} compressed, more than deflate can produce; the file is corrupt`,
        );
      }
      const compressed = this.range.read(dataOffset, entry.compressedSize, `zip entry ${printable(entry.name)}`);
      let inflated: Buffer;
      try {
        // Never more than the declared size: a deflate bomb stops there instead of filling memory.
        inflated = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.size) });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          this.fail(`zip entry ${printable(entry.name)} inflates to more than its declared ${entry.size} bytes; the file is corrupt`);
        this.fail(`zip entry ${printable(entry.name)} does not inflate (${(e as Error).message})`);
      }
      if (inflated.byteLength !== entry.size)
        this.fail(`zip entry ${printable(entry.name)} inflates to ${inflated.byteLength} bytes, not ${entry.size}`);
      bytes = new Uint8Array(new ArrayBuffer(inflated.byteLength));
      bytes.set(inflated);
    } else {
      this.fail(`zip entry ${printable(entry.name)} uses compression method ${entry.method}; only stored and deflate entries are read`);
    }
    if (zlib.crc32(bytes) >>> 0 !== entry.crc32) this.fail(`zip entry ${printable(entry.name)} fails its CRC check; the file is corrupt`);
    return bytes;
  }
}
