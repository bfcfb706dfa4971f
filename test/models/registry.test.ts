import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { checkModelArgs, createModel, getModelEntry, listModels } from '../../src/models';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('model registry', () => {
  const published = listModels().filter((n) => getModelEntry(n).timmParams);

  test('registers the families the seeds use', () => {
    expect(listModels('vit')).toEqual(
      expect.arrayContaining(['vit_tiny_patch16_224', 'vit_base_patch16_224', 'vit_large_patch16_224', 'vit_small_patch14_dinov2']),
    );
    expect(listModels('efficientnet')).toEqual(expect.arrayContaining(['efficientnet_b0', 'efficientnet_b4', 'tf_efficientnet_b4']));
  });

  test.each(published)("%s has timm's published parameter count at its native size", (name) => {
    const entry = getModelEntry(name);
    const { millions, numClasses } = entry.timmParams!;
    const model = createModel(name, { numClasses, initialize: false });
    expect(model.imageSize).toBe(entry.pretrainedCfg.inputSize);
    expect(model.countParams() / 1e6).toBeCloseTo(millions, 2);
    model.dispose();
  });

  test('an unknown name is a user error that lists close names', () => {
    expect(() => createModel('efficientnet_b9', { numClasses: 2 })).toThrow(/unknown model "efficientnet_b9"; registered: .*efficientnet_b0/);
  });

  test('the same seed builds the same weights, another seed other weights', () => {
    const a = createModel('test_vit', { numClasses: 3, imageSize: 32, seed: 1 });
    const b = createModel('test_vit', { numClasses: 3, imageSize: 32, seed: 1 });
    const c = createModel('test_vit', { numClasses: 3, imageSize: 32, seed: 2 });
    const w = (m: typeof a) =>
      Array.from(
        m
          .namedVariables()
          .find((v) => v.name === 'blocks.0.attn.qkv.weight')!
          .variable.dataSync(),
      );
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('checked model args', () => {
  test('an unknown key is a one-line user error naming it, with the closest allowed key', () => {
    expect(() => createModel('test_vit', { numClasses: 2, args: { dept: 2 } })).toThrow(
      /^unknown key "model\.args\.dept" \(did you mean "depth"\?\) \(model test_vit\)$/,
    );
    expect(() => createModel('resnet18', { numClasses: 2, args: { zzzzzz: 1 } })).toThrow(
      /unknown key "model\.args\.zzzzzz" \(allowed: inChans, block, layers, channels, stemWidth\)/,
    );
  });

  test('a wrong type or value names the key and what it got; nested keys are named too', () => {
    expect(() => createModel('test_vit', { numClasses: 2, args: { depth: 'two' } })).toThrow(/^model\.args\.depth: expected number, got "two"/);
    expect(() =>
      createModel('test_efficientnet', {
        numClasses: 2,
        args: { stages: [{ block: 'xx', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 8, seRatio: 0 }] },
      }),
    ).toThrow(/^model\.args\.stages\.0\.block: /);
    expect(() => createModel('vit_tiny_patch16_224', { numClasses: 2, args: { embedDim: 30, numHeads: 4 } })).toThrow(
      /embedDim 30 is not a multiple of numHeads 4/,
    );
  });

  test.each([
    ['numClasses', 'numClasses'],
    ['imgSize', 'model.imageSize'],
    ['dropRate', 'model.dropRate'],
  ])('args cannot set %s (set %s instead)', (key, instead) => {
    expect(() => createModel('efficientnet_b0', { numClasses: 2, args: { [key]: 5 } })).toThrow(
      new RegExp(`^model\\.args\\.${key}: .*set ${instead.replace('.', '\\.')}`),
    );
  });

  test('checkModelArgs checks without building, as config loading does', () => {
    expect(() => checkModelArgs('densenet121', { growthRate: 8 })).not.toThrow();
    expect(() => checkModelArgs('densenet121', { grothRate: 8 })).toThrow(/did you mean "growthRate"/);
  });
});

describe('hand-computed weights count', () => {
  test('ViT: 12·D² + 13·D per block plus embeddings, norm and head', () => {
    const D = 64;
    const depth = 2;
    const model = createModel('test_vit', { numClasses: 3, imageSize: 32, args: { depth, mlpRatio: 4 }, initialize: false });
    const patch = 16 * 16 * 3 * D + D;
    const tokens = D + (4 + 1) * D; // cls + pos (2×2 patches + cls)
    const block = 12 * D * D + 13 * D;
    expect(model.countParams()).toBe(patch + tokens + depth * block + 2 * D + (D * 3 + 3));
    model.dispose();
  });
});
