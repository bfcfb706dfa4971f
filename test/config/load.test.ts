import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { applyOverrides, closest } from '../../src/config/load';
import { resolveConfig } from '../../src/config/resolve';
import { UserError } from '../../src/util/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-config-'));
function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const BASE = `
name: t
data:
  source: synthetic
  task: glaucoma
model:
  name: test_vit
`;

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toMatch(/\n/);
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('config loading', () => {
  test('defaults are filled in and shown (model size, normalisation from the model, run directory)', () => {
    const { config, outDir } = resolveConfig(write('ok.yaml', BASE));
    expect(config.train.epochs).toBe(10);
    expect(config.train.optimizer).toEqual({ name: 'adamw', lr: 1e-3, baseLr: null, weightDecay: 0.01, betas: [0.9, 0.999], eps: 1e-8 });
    expect(config.train.scheduler).toMatchObject({ name: 'plateau', monitor: 'val_macro_auc', mode: 'max', patience: 10, factor: 0.1 });
    expect(config.model.imageSize).toBe(160);
    expect(config.data.normalize).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(outDir).toBe(path.resolve('runs', 't'));
  });

  test("normalisation defaults to the pretrained weights' own statistics", () => {
    const { config } = resolveConfig(write('augreg.yaml', BASE.replace('test_vit', 'vit_tiny_patch16_224')));
    expect(config.data.normalize).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  });

  test('JSON works as YAML does', () => {
    const file = write('ok.json', JSON.stringify({ data: { source: 'synthetic', task: 'dr' }, model: { name: 'test_efficientnet' } }));
    expect(resolveConfig(file).config.data).toMatchObject({ source: 'synthetic', task: 'dr' });
  });

  test('--set overrides keep YAML types', () => {
    const { config } = resolveConfig(write('set.yaml', BASE), [
      'train.epochs=3',
      'train.optimizer.lr=1e-4',
      'data.augment.hflip=0.5',
      'model.args={depth: 2}',
    ]);
    expect(config.train.epochs).toBe(3);
    expect(config.train.optimizer.lr).toBe(1e-4);
    expect(config.data.augment.hflip).toBe(0.5);
    expect(config.model.args).toEqual({ depth: 2 });
  });

  test('a typo in a key names the key, the file, and the likely intent', () => {
    const file = write('typo.yaml', BASE + 'train:\n  epoch: 3\n');
    expect(errorOf(() => resolveConfig(file)).message).toMatch(/typo\.yaml: unknown key "train\.epoch" \(did you mean "epochs"\?\)/);
  });

  test('an unknown key inside a data source lists what that source allows', () => {
    const file = write('src.yaml', BASE.replace('task: glaucoma', 'task: glaucoma\n  imageColumn: x'));
    expect(errorOf(() => resolveConfig(file)).message).toMatch(/unknown key "data\.imageColumn"/);
  });

  test('a wrong type names the key and the value', () => {
    const file = write('type.yaml', BASE + 'train:\n  epochs: three\n');
    expect(errorOf(() => resolveConfig(file)).message).toMatch(/type\.yaml: train\.epochs: expected (int|number), got "three"/);
  });

  test('an unknown data source lists the known ones', () => {
    const file = write('source.yaml', BASE.replace('source: synthetic', 'source: dicom'));
    expect(errorOf(() => resolveConfig(file)).message).toMatch(/data\.source: "dicom" is not one of synthetic, image-folder, csv/);
  });

  test('an unknown enum value lists the allowed ones', () => {
    const file = write('enum.yaml', BASE + 'train:\n  strategy: freeze\n');
    expect(errorOf(() => resolveConfig(file)).message).toMatch(/train\.strategy: "freeze" is not one of "finetune", "linear-probe", "lp-ft"/);
  });

  test('a missing required key says so', () => {
    const file = write('missing.yaml', 'data:\n  source: synthetic\n  task: dr\n');
    expect(errorOf(() => resolveConfig(file)).message).toMatch(/model is required/);
  });

  test('a missing pretrained file names the key and the path', () => {
    const file = write('pre.yaml', BASE.replace('name: test_vit', 'name: test_vit\n  pretrained: nowhere.safetensors'));
    expect(errorOf(() => resolveConfig(file)).message).toMatch(/model\.pretrained: file not found: .*nowhere\.safetensors/);
  });

  test('a missing config file, bad YAML, and a bad --set are one-line errors', () => {
    expect(errorOf(() => resolveConfig(path.join(dir, 'none.yaml'))).message).toMatch(/config file not found: .*none\.yaml/);
    const bad = write('bad.yaml', 'data: [unclosed\n');
    expect(errorOf(() => resolveConfig(bad)).message).toMatch(/bad\.yaml(:\d+)?: not valid YAML/);
    expect(errorOf(() => applyOverrides({}, ['train.epochs'])).message).toMatch(/expected key=value/);
  });

  test('an unknown model name is an error naming registered ones', () => {
    const file = write('model.yaml', BASE.replace('test_vit', 'vit_gigantic'));
    expect(errorOf(() => resolveConfig(file)).message).toMatch(/unknown model "vit_gigantic"; registered: .*vit_/);
  });

  test('closest() suggests near misses only', () => {
    expect(closest('epoch', ['epochs', 'batchSize'])).toBe('epochs');
    expect(closest('zzzzzz', ['epochs', 'batchSize'])).toBeNull();
  });
});
