import * as fs from 'fs';
import * as path from 'path';
import { auditDataset } from '../../src/data/audit';
import { dataConfigSchema, resolveDataPaths } from '../../src/data/config';
import { cleanup, makeTempDir, writeFundus, writeImage, writeText } from './fixtures';

let dir: string;
beforeAll(async () => {
  dir = makeTempDir('audit');
  // Two classes, official splits; patient 7 has eyes in train and test (leakage); one file is copied into
  // both classes (a duplicate, in two splits); one is truncated; one is 1x1.
  const root = path.join(dir, 'tree');
  await writeFundus(path.join(root, 'training/dr/7_left.jpg'), { width: 80, height: 60, cx: 40, cy: 30, radius: 28 });
  await writeFundus(path.join(root, 'test/dr/7_right.jpg'), { width: 80, height: 60, cx: 41, cy: 30, radius: 27 });
  await writeFundus(path.join(root, 'training/dr/8_left.jpg'), { width: 80, height: 60, cx: 39, cy: 31, radius: 26, rgb: [150, 60, 20] });
  await writeImage(path.join(root, 'training/normal/a.jpg'), { rgb: [10, 200, 30] });
  await writeImage(path.join(root, 'training/normal/b.jpg'), { rgb: [90, 20, 130] });
  fs.mkdirSync(path.join(root, 'test/normal'), { recursive: true });
  fs.copyFileSync(path.join(root, 'training/normal/a.jpg'), path.join(root, 'test/normal/copy-of-a.jpg'));
  await writeImage(path.join(root, 'test/normal/dot.png'), { width: 1, height: 1 });
  await writeFundus(path.join(root, 'whole.jpg'), { width: 300, height: 200, cx: 150, cy: 100, radius: 95 });
  const bytes = fs.readFileSync(path.join(root, 'whole.jpg'));
  fs.writeFileSync(path.join(root, 'test/dr/cut.jpg'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  fs.rmSync(path.join(root, 'whole.jpg'));
  // A clean CSV dataset with a missing file.
  const clean = path.join(dir, 'clean');
  for (const n of ['1_left', '1_right', '2_left', '3_left', '4_right', '5_left'])
    await writeImage(path.join(clean, `${n}.jpg`), { rgb: [n.length * 20, Number(n[0]) * 30, 40] });
  writeText(
    path.join(clean, 'labels.csv'),
    'Image_File,label\n1_left.jpg,a\n1_right.jpg,a\n2_left.jpg,b\n3_left.jpg,a\n4_right.jpg,b\n5_left.jpg,b\n6_left.jpg,a\n',
  );
});
afterAll(() => cleanup(dir));

const parse = (fields: object) => resolveDataPaths(dataConfigSchema.parse({ cache: { disk: false }, ...fields }), dir);

describe('auditDataset', () => {
  it('lists unreadable and too small images, duplicates, and leakage by patient and by identical files', async () => {
    const r = await auditDataset(parse({ source: 'image-folder', root: 'tree', split: { val: 0, test: 0.3 } }), { seed: 1 });
    expect(r.ok).toBe(false);
    expect(r.images).toBe(8);
    expect(r.splits.train).toEqual({ images: 4, classes: { dr: 2, normal: 2 } });
    expect(r.splits.test).toEqual({ images: 4, classes: { dr: 2, normal: 2 } });
    expect(r.unreadable.map((u) => u.id)).toEqual(['test/dr/cut.jpg', 'test/normal/dot.png']);
    expect(r.unreadable[0].reason).toMatch(/cannot decode image .*cut\.jpg/);
    expect(r.unreadable[1].reason).toMatch(/1x1 pixels, below data\.minImageSize \(32\)/);
    expect(r.duplicates).toEqual([
      {
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        images: [
          { id: 'test/normal/copy-of-a.jpg', split: 'test' },
          { id: 'training/normal/a.jpg', split: 'train' },
        ],
      },
    ]);
    expect(r.duplicateLeakage).toHaveLength(1);
    expect(r.patientLeakage).toEqual([
      {
        group: '7',
        images: [
          { id: 'test/dr/7_right.jpg', split: 'test' },
          { id: 'training/dr/7_left.jpg', split: 'train' },
        ],
      },
    ]);
  });

  it('passes a clean dataset and lists its missing files without stopping', async () => {
    const r = await auditDataset(parse({ source: 'csv', csv: 'clean/labels.csv', classColumn: 'label', split: { val: 0.2, test: 0.2 } }), {
      seed: 1,
    });
    expect(r.ok).toBe(true);
    expect(r.images).toBe(6);
    expect(r.missing).toEqual([path.join(dir, 'clean/6_left.jpg')]);
    expect(r.warnings[0]).toMatch(/^1 of 7 images listed/);
    expect(r.unreadable).toEqual([]);
    expect(r.patientLeakage).toEqual([]);
    expect(totalImages(r.splits)).toBe(6);
    const f = await auditDataset(parse({ source: 'csv', csv: 'clean/labels.csv', classColumn: 'label', split: { test: 0, folds: 2, fold: 1 } }), {
      seed: 1,
    });
    expect(f.folds).toEqual({ folds: 2, fold: 1 });
    expect(f.patientLeakage).toEqual([]);
  });
});

function totalImages(s: Record<string, { images: number }>): number {
  return Object.values(s).reduce((n, v) => n + v.images, 0);
}
