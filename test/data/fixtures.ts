import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import * as XLSX from '@e965/xlsx';

/** A fresh temporary folder for one test file; removed with `cleanup`. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fundus-train-${prefix}-`));
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Side of the fixture images by default: small, and just above the default data.minImageSize (32). */
export const FIXTURE_WIDTH = 40;
export const FIXTURE_HEIGHT = 34;

/** Writes a small solid-colour image (format from the extension) with a bright square in one corner. */
export async function writeImage(file: string, opts: { width?: number; height?: number; rgb?: [number, number, number] } = {}): Promise<void> {
  const width = opts.width ?? FIXTURE_WIDTH;
  const height = opts.height ?? FIXTURE_HEIGHT;
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

/** A fundus-like RGB raster: a disc of colour `rgb` (with a darker "vessel" stripe) on black, optionally cut by the frame. */
export function fundusRaster(opts: { width: number; height: number; cx: number; cy: number; radius: number; rgb?: [number, number, number] }): {
  width: number;
  height: number;
  data: Uint8Array;
} {
  const { width, height, cx, cy, radius } = opts;
  const [r, g, b] = opts.rgb ?? [190, 90, 40];
  const { abs, round } = Math; // bound once: global lookups in hot loops are slow in jest's vm
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      if (dx * dx + dy * dy > radius * radius) continue;
      const vessel = abs(dx - dy * 0.3) < radius * 0.04 ? 0.6 : 1;
      const i = (y * width + x) * 3;
      data[i] = round(r * vessel);
      data[i + 1] = round(g * vessel);
      data[i + 2] = round(b * vessel);
    }
  }
  return { width, height, data };
}

/** Writes a fundus-like image (see fundusRaster) as PNG or JPEG (from the extension). */
export async function writeFundus(file: string, opts: Parameters<typeof fundusRaster>[0]): Promise<void> {
  const img = fundusRaster(opts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const s = sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } });
  await (path.extname(file).toLowerCase() === '.png' ? s.png() : s.jpeg({ quality: 95 })).toFile(file);
}

/** Writes rows (first row = header, or none) as .xlsx or .xls (BIFF8) with SheetJS, as the challenge files are. */
export function writeSheet(file: string, rows: unknown[][]): void {
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(rows), 'Sheet1');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  XLSX.writeFile(book, file, { bookType: path.extname(file).toLowerCase() === '.xls' ? 'biff8' : 'xlsx' });
}

/** Writes a text file, creating its folder. */
export function writeText(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}
