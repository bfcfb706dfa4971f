import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createModel, getModelEntry } from '../../src/models';
import { Vgg } from '../../src/models/vgg';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

// A narrow VGG: two conv stages, fc6/fc7 of width 32.
const SMALL = { features: [8, 'M', 16, 16, 'M'], mlpHidden: 32, mlpKernel: 3 };

describe('VGG family', () => {
  test("vgg16 is registered with timm's published count (138.36M) and config", () => {
    const entry = getModelEntry('vgg16');
    expect(entry.timmParams).toEqual({ millions: 138.36, numClasses: 1000 });
    expect(entry.pretrainedCfg.inputSize).toBe(224);
  });

  test("vgg16 has timm's names: features.N with ReLU and pool indices counted, pre_logits.fc1/fc2 convs, head.fc", () => {
    // fc6/fc7 narrowed from 4096 to 64 to keep the test light; the conv stack is vgg16's.
    const model = createModel('vgg16', { numClasses: 10, initialize: false, args: { mlpHidden: 64 } }) as Vgg;
    const shapes = new Map(model.namedVariables().map((v) => [v.name, v.variable.shape]));
    const convIndices = [...shapes.keys()].filter((n) => n.startsWith('features.') && n.endsWith('.weight')).map((n) => Number(n.split('.')[1]));
    expect(convIndices).toEqual([0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]);
    expect(shapes.get('features.28.weight')).toEqual([3, 3, 512, 512]);
    expect(shapes.get('pre_logits.fc1.weight')).toEqual([7, 7, 512, 64]);
    expect(shapes.get('pre_logits.fc2.weight')).toEqual([1, 1, 64, 64]);
    expect(shapes.get('head.fc.weight')).toEqual([64, 10]);
    expect(model.classifierName).toBe('head.fc');
    expect(model.numFeatures).toBe(64);
    model.dispose();
  });

  test('hand-computed parameter count of a small VGG', () => {
    const model = createModel('vgg16', { numClasses: 3, imageSize: 32, initialize: false, args: SMALL });
    const convs = 3 * 9 * 8 + 8 + (8 * 9 * 16 + 16) + (16 * 9 * 16 + 16);
    const mlp = 16 * 9 * 32 + 32 + (32 * 32 + 32);
    expect(model.countParams()).toBe(convs + mlp + (32 * 3 + 3));
    model.dispose();
  });

  test.each([
    // 32 px: an 8×8 map, fc6 (3×3 valid) gives 6×6 fc7 features, averaged.
    [32, [2, 8, 8, 16]],
    // 8 px: a 2×2 map, smaller than fc6's kernel: average-pooled up to 3×3 first (timm's ConvMlp).
    [8, [2, 2, 2, 16]],
  ])('forward at %i px: feature map %j, logits and pre-logits, no leaks', (size, featShape) => {
    const model = createModel('vgg16', { numClasses: 3, imageSize: size, args: SMALL });
    const x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const feats = model.forwardFeatures(x);
    expect(feats.shape).toEqual(featShape);
    const logits = model.forward(x);
    const pre = model.preLogits(x);
    expect(logits.shape).toEqual([2, 3]);
    expect(pre.shape).toEqual([2, 32]);
    // fc7 ends in a ReLU.
    expect(tf.tidy(() => tf.min(pre).dataSync()[0])).toBeGreaterThanOrEqual(0);
    tf.dispose([feats, logits, pre]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
