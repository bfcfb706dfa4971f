import * as fs from 'fs';
import { UserError } from '../../util/errors';

/** One read call moves at most this much (fs.readSync rejects lengths past 2 GiB). */
const MAX_READ = 1 << 30;

/** A weight file opened for reading byte ranges, so large files are never read whole. */
export class FileRange {
  readonly size: number;

  private constructor(
    readonly file: string,
    private fd: number,
  ) {
    this.size = fs.fstatSync(fd).size;
  }

  static open(file: string): FileRange {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      throw new UserError(`cannot open weight file ${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!fs.fstatSync(fd).isFile()) {
      fs.closeSync(fd);
      throw new UserError(`cannot read weight file ${file}: it is a folder or a device, not a file`);
    }
    return new FileRange(file, fd);
  }

  /** Runs `use` with the open file and always closes it. */
  static with<T>(file: string, use: (range: FileRange) => T): T {
    const range = FileRange.open(file);
    try {
      return use(range);
    } finally {
      range.close();
    }
  }

  /** Fills `target` from byte `position`; `what` names the bytes for the error if the file ends early. */
  readInto(target: Uint8Array, position: number, what: string): void {
    this.check(position, target.byteLength, what);
    let done = 0;
    while (done < target.byteLength) {
      const n = fs.readSync(this.fd, target, done, Math.min(MAX_READ, target.byteLength - done), position + done);
      if (n === 0) throw new UserError(`${this.file}: unexpected end of file while reading ${what}`);
      done += n;
    }
  }

  /** A fresh, 8-byte-aligned copy of `length` bytes at `position` (safe to view as any typed array). */
  read(position: number, length: number, what: string): Uint8Array {
    // Checked before allocating: a length field of a crafted file may say 2^63.
    this.check(position, length, what);
    const bytes = new Uint8Array(new ArrayBuffer(length));
    this.readInto(bytes, position, what);
    return bytes;
  }

  private check(position: number, length: number, what: string): void {
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0 || position + length > this.size) {
      throw new UserError(
        `${this.file}: ${what} lies past the end of the file (bytes ${position}..${position + length}, ` +
          `file has ${this.size}); the file is truncated or corrupt`,
      );
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
