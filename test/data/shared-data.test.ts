import * as path from 'path';
import { auditDataset } from '../../src/data/audit';
import { dataConfigSchema, resolveDataPaths } from '../../src/data/config';
import { decodeImageInside } from '../../src/data/image';
import { findFieldOfView, preprocessRgb } from '../../src/data/preprocess';
import { loadDataset } from '../../src/data/sources';
import { splitDataset } from '../../src/data/split';
import { Dataset, RgbImage, Split, SPLITS } from '../../src/data/types';
import { readDataConfig } from '../../src/config/data-section';
import { DATA_DIR, describeIfExists } from '../helpers/shared';

const CONFIGS = path.resolve(__dirname, '../../configs/shared');
const noDisk = { cache: { disk: false } };

function patientsInTwoSplits(ds: Dataset, s: Record<Split, number[]>): string[] {
  const where = new Map<string, Set<Split>>();
  for (const k of SPLITS)
    for (const i of s[k]) if (ds.samples[i].group) where.set(ds.samples[i].group!, (where.get(ds.samples[i].group!) ?? new Set()).add(k));
  return [...where].filter(([, v]) => v.size > 1).map(([g]) => g);
}

function classCounts(ds: Dataset): number[] {
  const c = ds.classes.map(() => 0);
  for (const s of ds.samples) c[s.label!]++;
  return c;
}

describeIfExists(DATA_DIR)('real data in ../shared/data', () => {
  it('EyePACS sample through kaggle-dr with dr-5to3: classes 50/40/40, no patient in two splits, every image decodes', async () => {
    const { data, seed } = readDataConfig(path.join(CONFIGS, 'eyepacs-dr130.yaml'), []);
    const cfg = { ...data, ...noDisk } as typeof data;
    const ds = await loadDataset(cfg, { seed });
    expect(ds.classes).toEqual(['No DR', 'Mild', 'Proliferative']);
    expect(classCounts(ds)).toEqual([50, 40, 40]);
    expect(ds.warnings).toEqual([expect.stringMatching(/^34996 of 35126 images listed .* missing/)]);
    for (const s of [1, 2, 42]) expect(patientsInTwoSplits(ds, splitDataset(ds, cfg.split, s))).toEqual([]);
    for (let fold = 0; fold < 5; fold++) expect(patientsInTwoSplits(ds, splitDataset(ds, { ...cfg.split, folds: 5, fold }, seed))).toEqual([]);
    const audit = await auditDataset(cfg, { seed });
    expect(audit).toMatchObject({ images: 130, unreadable: [], patientLeakage: [], duplicates: [], ok: true });
  });

  it('SMDG samples through csv: fundus photographs, 1 glaucoma / 0 not (-1 dropped), rows without a photograph skipped', async () => {
    const { data, seed } = readDataConfig(path.join(CONFIGS, 'smdg-glaucoma.yaml'), []);
    const cfg = { ...data, ...noDisk } as typeof data;
    const ds = await loadDataset(cfg, { seed });
    expect(ds.classes).toEqual(['non-glaucoma', 'glaucoma']);
    expect(classCounts(ds)).toEqual([30, 32]);
    expect(ds.warnings).toEqual([expect.stringMatching(/^8 of 70 rows .* have no image in column "fundus"/)]);
    const onh = await loadDataset(resolveDataPaths(dataConfigSchema.parse({ ...cfg, imageColumn: 'onh' }), '/'), { seed });
    expect(onh.samples).toHaveLength(32);
    const audit = await auditDataset(cfg, { seed });
    expect(audit.unreadable).toEqual([]);
    expect(audit.ok).toBe(true);
  });

  it('the four-class set through image-folder: 3,708 images, augmented copies train only, no leakage, every image decodes', async () => {
    const { data, seed } = readDataConfig(path.join(CONFIGS, 'eye-diseases-4class.yaml'), []);
    const cfg = { ...data, ...noDisk } as typeof data;
    const audit = await auditDataset(cfg, { seed, concurrency: 8 });
    expect(audit.classes).toEqual(['cataract', 'diabetic_retinopathy', 'glaucoma', 'normal']);
    expect(audit.images).toBe(3708);
    expect(audit.unreadable).toEqual([]);
    expect(audit.patientLeakage).toEqual([]);
    expect(audit.duplicates.map((d) => d.images.map((m) => m.id))).toEqual([['cataract/625_left.jpg', 'glaucoma/625_left.jpg']]);
    expect(audit.ok).toBe(true);
    const ds = await loadDataset(cfg, { seed });
    const s = splitDataset(ds, cfg.split, seed);
    const augmented = ds.samples.map((smp, i) => [smp.id, i] as const).filter(([id]) => /\/_\d+_\d+\.jpg$/.test(id));
    expect(augmented).toHaveLength(1240);
    const train = new Set(s.train);
    expect(augmented.every(([, i]) => train.has(i))).toBe(true);
  });

  it('the field-of-view crop finds the fundus of real photographs: box inside the image, covering the bright area, border dark', async () => {
    const files = [
      'eyepacs-dr-130/train/10_left.jpeg',
      'eyepacs-dr-130/train/1002_left.jpeg',
      'eyepacs-dr-130/train/13_right.jpeg',
      'smdg-glaucoma-74/samples/BEH-17/fundus.JPG',
      'smdg-glaucoma-74/samples/HRF-16/fundus.jpg',
      'smdg-glaucoma-74/samples/ORIGA-21/fundus.jpg',
      'smdg-glaucoma-74/samples/DRISHTI-GS1-test-8/fundus.png',
      'smdg-glaucoma-74/samples/CRFO-v4-61/fundus.jpg',
      'smdg-glaucoma-74/samples/OIA-ODIR-TRAIN-619/fundus.jpg',
    ];
    const luma = (img: RgbImage, k: number): number => 0.299 * img.data[k * 3] + 0.587 * img.data[k * 3 + 1] + 0.114 * img.data[k * 3 + 2];
    for (const rel of files) {
      const img = await decodeImageInside(path.join(DATA_DIR, rel), 512);
      const fov = findFieldOfView(img, 7);
      const what = `${rel} ${JSON.stringify(fov)}`;
      expect([what, fov.found]).toEqual([what, true]);
      expect(fov.x).toBeGreaterThanOrEqual(0);
      expect(fov.y).toBeGreaterThanOrEqual(0);
      expect(fov.x + fov.width).toBeLessThanOrEqual(img.width);
      expect(fov.y + fov.height).toBeLessThanOrEqual(img.height);
      // A fundus spans most of the picture's height.
      expect(fov.height).toBeGreaterThan(0.7 * img.height);
      let brightIn = 0;
      let brightOut = 0;
      let sumOut = 0;
      let nOut = 0;
      for (let y = 0; y < img.height; y++) {
        for (let x = 0; x < img.width; x++) {
          const v = luma(img, y * img.width + x);
          const inside = x >= fov.x && x < fov.x + fov.width && y >= fov.y && y < fov.y + fov.height;
          if (v > 25) {
            if (inside) brightIn++;
            else brightOut++;
          }
          if (!inside) {
            sumOut += v;
            nOut++;
          }
        }
      }
      expect([what, brightOut / (brightIn + brightOut) < 0.002]).toEqual([what, true]);
      if (nOut > 0) expect(sumOut / nOut).toBeLessThan(8);
      // The cropped square: dark corners, bright centre.
      const sq = await preprocessRgb(img, { fovCrop: { tolerance: 7 }, benGraham: null, clahe: null }, 64);
      for (const k of [0, 63, 64 * 63, 64 * 64 - 1]) expect(luma(sq, k)).toBeLessThan(12);
      expect(luma(sq, 32 * 64 + 32)).toBeGreaterThan(25);
    }
  });
});
