import * as path from 'path';
import { dataConfigSchema, resolveDataPaths } from '../../src/data/config';

describe('dataConfigSchema', () => {
  it('fills every default so the resolved config shows them', () => {
    const cfg = dataConfigSchema.parse({ source: 'synthetic', task: 'glaucoma' });
    expect(cfg).toEqual({
      source: 'synthetic',
      task: 'glaucoma',
      count: 600,
      renderSize: 128,
      split: { val: 0.15, test: 0.15, stratify: true },
      augment: { hflip: 0, vflip: 0, rotate: 0, brightness: 0, contrast: 0, saturation: 0, randomResizedCrop: null },
      normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      prefetch: 2,
      skipBadImages: false,
    });
  });

  it('fills the random resized crop defaults when the crop is switched on with {}', () => {
    const cfg = dataConfigSchema.parse({ source: 'synthetic', task: 'dr', augment: { hflip: 0.5, randomResizedCrop: {} } });
    expect(cfg.augment.randomResizedCrop).toEqual({ scale: [0.7, 1], ratio: [3 / 4, 4 / 3] });
    expect(cfg.augment.hflip).toBe(0.5);
    expect(cfg.augment.vflip).toBe(0);
  });

  it('rejects unknown keys at every level, naming the path', () => {
    const top = dataConfigSchema.safeParse({ source: 'synthetic', task: 'dr', colour: 1 });
    expect(top.success).toBe(false);
    expect(top.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['colour'] });
    const nested = dataConfigSchema.safeParse({ source: 'synthetic', task: 'dr', augment: { flip: 0.5 } });
    expect(nested.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['augment'] });
  });

  it('rejects an unknown source, a wrong type and impossible split fractions', () => {
    expect(dataConfigSchema.safeParse({ source: 'imagenet' }).error!.issues[0].path).toEqual(['source']);
    expect(dataConfigSchema.safeParse({ source: 'synthetic', task: 'dr', count: 'many' }).error!.issues[0].path).toEqual(['count']);
    const split = dataConfigSchema.safeParse({ source: 'synthetic', task: 'dr', split: { val: 0.5, test: 0.5 } });
    expect(split.success).toBe(false);
    expect(split.error!.issues[0].path).toEqual(['split']);
  });

  it('csv: exactly one of labelColumns and classColumn', () => {
    const both = dataConfigSchema.safeParse({ source: 'csv', csv: 'a.csv', labelColumns: ['a'], classColumn: 'c' });
    expect(both.success).toBe(false);
    expect(both.error!.issues[0].message).toMatch(/exactly one of labelColumns/);
    expect(dataConfigSchema.safeParse({ source: 'csv', csv: 'a.csv' }).success).toBe(false);
    const ok = dataConfigSchema.parse({ source: 'csv', csv: 'a.csv', classColumn: 'level', imageExtension: 'jpeg' });
    expect(ok).toMatchObject({ imageColumn: 'Image_File', imageExtension: '.jpeg' });
  });

  it('image-folder: extensions default and are normalised to lower case with a dot', () => {
    expect(dataConfigSchema.parse({ source: 'image-folder', root: 'x' })).toMatchObject({ extensions: ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'] });
    expect(dataConfigSchema.parse({ source: 'image-folder', root: 'x', extensions: ['JPG', '.Png'] })).toMatchObject({ extensions: ['.jpg', '.png'] });
  });
});

describe('resolveDataPaths', () => {
  it("resolves relative paths against the config's folder and fills the csv's imagesDir", () => {
    const csv = resolveDataPaths(dataConfigSchema.parse({ source: 'csv', csv: 'labels/all.csv', labelColumns: ['a'] }), '/exp');
    expect(csv).toMatchObject({ csv: path.resolve('/exp/labels/all.csv'), imagesDir: path.resolve('/exp/labels') });
    const withDir = resolveDataPaths(dataConfigSchema.parse({ source: 'csv', csv: '/d/l.csv', imagesDir: 'img', labelColumns: ['a'] }), '/exp');
    expect(withDir).toMatchObject({ csv: '/d/l.csv', imagesDir: path.resolve('/exp/img') });
    const folder = resolveDataPaths(dataConfigSchema.parse({ source: 'image-folder', root: '../data' }), '/exp/configs');
    expect(folder).toMatchObject({ root: path.resolve('/exp/data') });
  });
});
