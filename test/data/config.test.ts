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
      split: { val: 0.15, test: 0.15, stratify: true, folds: null, fold: 0, trainOnly: null },
      preprocess: { fovCrop: null, benGraham: null, clahe: null },
      augment: {
        hflip: 0,
        vflip: 0,
        rotate: 0,
        brightness: 0,
        contrast: 0,
        saturation: 0,
        randomResizedCrop: null,
        randAugment: null,
        randomErasing: null,
      },
      normalize: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      prefetch: 2,
      skipBadImages: false,
      minImageSize: 32,
      maxImagePixels: 50_000_000,
      positiveClass: null,
      cache: { disk: true, dir: '.cache/fundus-train' },
      sampler: null,
      mixup: null,
    });
  });

  it('switches preprocessing steps on with true (all their defaults shown), off with false or null, or takes options', () => {
    const on = dataConfigSchema.parse({ source: 'synthetic', task: 'dr', preprocess: { fovCrop: true, benGraham: true, clahe: true } });
    expect(on.preprocess).toEqual({
      fovCrop: { tolerance: 7 },
      benGraham: { radius: null, sigmaFraction: 1 / 30, maskFraction: 0.9 },
      clahe: { clipLimit: 2, tiles: 8, output: 'green' },
    });
    const some = dataConfigSchema.parse({
      source: 'synthetic',
      task: 'dr',
      preprocess: { fovCrop: { tolerance: 12 }, clahe: false, benGraham: null },
    });
    expect(some.preprocess).toEqual({ fovCrop: { tolerance: 12 }, benGraham: null, clahe: null });
    const noFov = dataConfigSchema.safeParse({ source: 'synthetic', task: 'dr', preprocess: { benGraham: true } });
    expect(noFov.error!.issues[0]).toMatchObject({ path: ['preprocess', 'benGraham'], message: expect.stringMatching(/benGraham needs fovCrop/) });
    const typo = dataConfigSchema.safeParse({ source: 'synthetic', task: 'dr', preprocess: { clahe: { clip: 3 } } });
    expect(typo.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['preprocess', 'clahe'] });
  });

  it('checks k-fold settings, the train-only pattern and the group pattern', () => {
    const fold = (split: object) => dataConfigSchema.safeParse({ source: 'synthetic', task: 'dr', split });
    expect(fold({ folds: 5, fold: 4 }).success).toBe(true);
    expect(fold({ folds: 5, fold: 5 }).error!.issues[0]).toMatchObject({ path: ['split', 'fold'], message: expect.stringMatching(/below folds/) });
    expect(fold({ fold: 1 }).error!.issues[0].message).toMatch(/fold needs folds/);
    expect(fold({ folds: 1 }).success).toBe(false);
    expect(fold({ trainOnly: '(' }).error!.issues[0].message).toMatch(/not a valid regular expression/);
    const folder = (groupPattern: unknown) => dataConfigSchema.safeParse({ source: 'image-folder', root: 'x', groupPattern });
    expect(folder('^p\\d+$').error!.issues[0].message).toMatch(/one capture group/);
    expect(folder('^(p\\d+)_').success).toBe(true);
    expect(folder(null).success).toBe(true);
    expect(dataConfigSchema.parse({ source: 'image-folder', root: 'x' })).toMatchObject({
      groupPattern: '^(.+)_(?:left|right)$',
      officialSplit: true,
    });
  });

  it("takes remap presets or value maps, and fills the dataset sources' defaults", () => {
    expect(dataConfigSchema.parse({ source: 'kaggle-dr', root: 'r', remap: 'dr-5to3' })).toMatchObject({
      layout: 'auto',
      labels: 'trainLabels.csv',
      imagesDir: 'train',
      remap: 'dr-5to3',
      strict: false,
    });
    expect(dataConfigSchema.safeParse({ source: 'kaggle-dr', root: 'r', remap: 'dr-5to2' }).success).toBe(false);
    const csv = dataConfigSchema.parse({ source: 'csv', csv: 'm.csv', classColumn: 'types', remap: { '1': 'glaucoma', '0': 'normal', '-1': null } });
    expect(csv.source === 'csv' && csv.remap).toEqual({
      '1': 'glaucoma',
      '0': 'normal',
      '-1': null,
    });
    expect(dataConfigSchema.safeParse({ source: 'csv', csv: 'm.csv', labelColumns: ['a'], remap: { '1': 'a' } }).error!.issues[0].message).toMatch(
      /remap goes with classColumn/,
    );
    expect(dataConfigSchema.parse({ source: 'aptos', root: 'r' })).toMatchObject({ csv: 'train.csv', imagesDir: 'train_images', remap: null });
    expect(dataConfigSchema.parse({ source: 'idrid', root: 'r' })).toMatchObject({ labelColumn: 'Retinopathy grade', officialSplit: true });
    expect(dataConfigSchema.parse({ source: 'odir', root: 'r' })).toMatchObject({ classes: ['N', 'D', 'G', 'C', 'A', 'H', 'M', 'O'] });
    expect(dataConfigSchema.safeParse({ source: 'odir', root: 'r', classes: ['N', 'X'] }).success).toBe(false);
    expect(dataConfigSchema.parse({ source: 'refuge', root: 'r' })).toMatchObject({ officialSplit: true, strict: false });
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
    expect(dataConfigSchema.parse({ source: 'image-folder', root: 'x' })).toMatchObject({
      extensions: ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'],
    });
    expect(dataConfigSchema.parse({ source: 'image-folder', root: 'x', extensions: ['JPG', '.Png'] })).toMatchObject({
      extensions: ['.jpg', '.png'],
    });
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

  it('takes dataset roots from the config folder and the files inside them from the root; leaves the cache folder as written', () => {
    const kaggle = resolveDataPaths(dataConfigSchema.parse({ source: 'kaggle-dr', root: 'kaggle' }), '/exp');
    expect(kaggle).toMatchObject({
      root: '/exp/kaggle',
      labels: '/exp/kaggle/trainLabels.csv',
      imagesDir: '/exp/kaggle/train',
      cache: { dir: '.cache/fundus-train' },
    });
    const aptos = resolveDataPaths(dataConfigSchema.parse({ source: 'aptos', root: '/d/aptos', csv: 'labels/train.csv' }), '/exp');
    expect(aptos).toMatchObject({ csv: '/d/aptos/labels/train.csv', imagesDir: '/d/aptos/train_images' });
    const refuge = resolveDataPaths(dataConfigSchema.parse({ source: 'refuge', root: 'R', labelFiles: ['gt/a.xlsx'] }), '/exp');
    expect(refuge).toMatchObject({ root: '/exp/R', labelFiles: ['/exp/R/gt/a.xlsx'] });
    const odir = resolveDataPaths(dataConfigSchema.parse({ source: 'odir', root: 'O' }), '/exp');
    expect(odir).toMatchObject({ root: '/exp/O' });
    expect(odir).not.toHaveProperty('labels');
    expect(resolveDataPaths(dataConfigSchema.parse({ source: 'idrid', root: 'I' }), '/exp')).toMatchObject({ root: '/exp/I' });
  });
});
