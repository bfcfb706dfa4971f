import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createModel, getModelEntry } from '../../src/models';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('DenseNet family', () => {
  test("densenet121 is registered with timm's default config", () => {
    const entry = getModelEntry('densenet121');
    expect(entry.family).toBe('densenet');
    expect(entry.pretrainedCfg.inputSize).toBe(224);
    expect(entry.timmParams).toEqual({ millions: 7.98, numClasses: 1000 });
  });

  test('a small DenseNet: channel bookkeeping, timm names and the feature map', () => {
    // Growth 8, two blocks of 2 layers: 16 -> 32 channels, transition to 16, -> 32.
    const model = createModel('densenet121', { numClasses: 3, imageSize: 64, args: { growthRate: 8, blockConfig: [2, 2] } });
    expect(model.numFeatures).toBe(32);
    const shapes = new Map(model.namedVariables().map((v) => [v.name, v.variable.shape]));
    expect(shapes.get('features.conv0.weight')).toEqual([7, 7, 3, 16]);
    expect(shapes.get('features.denseblock1.denselayer2.norm1.weight')).toEqual([24]);
    expect(shapes.get('features.denseblock1.denselayer2.conv1.weight')).toEqual([1, 1, 24, 32]);
    expect(shapes.get('features.transition1.conv.weight')).toEqual([1, 1, 32, 16]);
    expect(shapes.get('features.norm5.running_mean')).toEqual([32]);
    expect(shapes.get('classifier.weight')).toEqual([32, 3]);
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const feats = model.forwardFeatures(x);
    // Stem /4, one transition /2.
    expect(feats.shape).toEqual([1, 8, 8, 32]);
    // norm5 ends in a ReLU, so the features are non-negative.
    expect(tf.tidy(() => tf.min(feats).dataSync()[0])).toBeGreaterThanOrEqual(0);
    tf.dispose([x, feats]);
    model.dispose();
  });
});

describe('DenseNet init', () => {
  test("convolutions start He-normal over fan-in, as timm's DenseNet (not fan-out as EfficientNet)", () => {
    const model = createModel('densenet121', { numClasses: 2, imageSize: 32, seed: 3 });
    const w = model.namedVariables().find((v) => v.name === 'features.conv0.weight')!.variable;
    const values = Array.from(w.dataSync() as Float32Array);
    const std = Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (7 * 7 * 3)), 2);
    model.dispose();
  });
});
