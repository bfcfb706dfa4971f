import * as path from 'path';
import * as dataConfig from '../../../src/data/config';
import { DATA_SOURCES, getDataSource } from '../../../src/data/sources';

const { dataConfigSchema, resolveDataPaths } = dataConfig;

/** The least each source needs. */
const MINIMAL: Record<string, Record<string, unknown>> = {
  synthetic: { task: 'dr' },
  'image-folder': { root: 'images' },
  csv: { csv: 'labels/train.csv', classColumn: 'grade' },
  refuge: { root: 'refuge' },
  'kaggle-dr': { root: 'eyepacs' },
  aptos: { root: 'aptos' },
  idrid: { root: 'idrid' },
  odir: { root: 'odir' },
};

describe('the data source registry', () => {
  test('every registered source is a data.source of the config union, and only those', () => {
    const names = DATA_SOURCES.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(MINIMAL).sort());
    for (const name of names) {
      const parsed = dataConfigSchema.parse({ source: name, ...MINIMAL[name] });
      expect(parsed.source).toBe(name);
      // The common fields come with every source.
      expect(parsed.split).toMatchObject({ val: 0.15, test: 0.15 });
      expect(getDataSource(name).schema.safeParse({ source: name, ...MINIMAL[name] }).success).toBe(true);
    }
    expect(dataConfigSchema.safeParse({ source: 'dicom', root: 'x' }).success).toBe(false);
  });

  test("resolveDataPaths goes through each source's own path resolution", () => {
    const dir = path.resolve('/configs/study');
    const resolved = Object.fromEntries(
      DATA_SOURCES.map((s) => [
        s.name,
        resolveDataPaths(dataConfigSchema.parse({ source: s.name, ...MINIMAL[s.name] }), dir) as unknown as Record<string, unknown>,
      ]),
    );
    expect(resolved['image-folder'].root).toBe(path.join(dir, 'images'));
    expect(resolved.csv.csv).toBe(path.join(dir, 'labels/train.csv'));
    expect(resolved.csv.imagesDir).toBe(path.join(dir, 'labels'));
    expect(resolved['kaggle-dr'].labels).toBe(path.join(dir, 'eyepacs', 'trainLabels.csv'));
    expect(resolved.aptos.imagesDir).toBe(path.join(dir, 'aptos', 'train_images'));
    for (const name of ['refuge', 'idrid', 'odir']) expect(resolved[name].root).toBe(path.join(dir, name));
    expect(resolved.synthetic).toEqual(dataConfigSchema.parse({ source: 'synthetic', task: 'dr' }));
  });

  test('the names data/config.ts exported before the split are still exported', () => {
    for (const name of [
      'splitConfigSchema',
      'augmentConfigSchema',
      'normalizeConfigSchema',
      'preprocessConfigSchema',
      'cacheConfigSchema',
      'csvSourceSchema',
      'kaggleDrSourceSchema',
      'odirSourceSchema',
      'LEFT_RIGHT_PATTERN',
      'REMAP_PRESETS',
      'DEFAULT_IMAGE_EXTENSIONS',
      'SYNTHETIC_TASKS',
      'ODIR_CLASSES',
    ]) {
      expect({ name, exported: (dataConfig as Record<string, unknown>)[name] !== undefined }).toEqual({ name, exported: true });
    }
  });
});
