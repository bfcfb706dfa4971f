import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';

/** A fresh temporary folder for one test file; removed with `cleanup`. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fundus-train-${prefix}-`));
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes a small solid-colour image (format from the extension) with a bright square in one corner. */
export async function writeImage(file: string, opts: { width?: number; height?: number; rgb?: [number, number, number] } = {}): Promise<void> {
  const width = opts.width ?? 12;
  const height = opts.height ?? 10;
  const [r, g, b] = opts.rgb ?? [180, 60, 30];
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const corner = x < 3 && y < 3;
      data[i] = corner ? 255 : r;
      data[i + 1] = corner ? 255 : g;
      data[i + 2] = corner ? 255 : b;
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(data, { raw: { width, height, channels: 3 } });
  const ext = path.extname(file).toLowerCase();
  await (ext === '.png' ? img.png() : img.jpeg({ quality: 95 })).toFile(file);
}

/** Path of the shared real-data folder beside the repository, and whether it is there. */
export const SHARED_DATA = path.resolve(__dirname, '../../../shared/data');
export const hasSharedData = fs.existsSync(SHARED_DATA);
