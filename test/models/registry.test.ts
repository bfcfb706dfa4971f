import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createModel, getModelEntry, listModels } from '../../src/models';

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

  test.each(published)('%s has timm\'s published parameter count at its native size', (name) => {
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
    const w = (m: typeof a) => Array.from(m.namedVariables().find((v) => v.name === 'blocks.0.attn.qkv.weight')!.variable.dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe.each(['test_vit', 'test_efficientnet'])('%s', (name) => {
  test('logits and pre-logits have the right shapes, and forward leaks nothing', () => {
    const model = createModel(name, { numClasses: 4, imageSize: 64, seed: 0 });
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const logits = model.forward(x);
    const pre = model.preLogits(x);
    expect(logits.shape).toEqual([2, 4]);
    expect(pre.shape).toEqual([2, model.numFeatures]);
    tf.dispose([logits, pre]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test('parameter names follow timm (dotted, no duplicates) and getConfig is JSON', () => {
    const model = createModel(name, { numClasses: 2, imageSize: 64 });
    const names = model.namedVariables().map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    names.forEach((n) => expect(n).toMatch(/^[a-z_]+[a-z0-9_.]*$/));
    expect(JSON.parse(JSON.stringify(model.getConfig()))).toEqual(model.getConfig());
    model.dispose();
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
