import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createModel, getModelEntry, listModels } from '../../src/models';
import { ResNet } from '../../src/models/resnet';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('ResNet family', () => {
  test('registers resnet18, resnet34 and resnet50 with ImageNet statistics at 224 px', () => {
    expect(listModels('resnet')).toEqual(['resnet18', 'resnet34', 'resnet50']);
    for (const name of listModels('resnet')) {
      expect(getModelEntry(name).pretrainedCfg).toEqual({
        inputSize: 224,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        numClasses: 1000,
      });
    }
  });

  test('resnet50 (narrow) widens by 4 through its bottlenecks: feature map and pre-logits of 4 × the last width', () => {
    const model = createModel('resnet50', { numClasses: 5, imageSize: 64, args: { layers: [1, 1, 1, 1], channels: [8, 16, 32, 64], stemWidth: 8 } });
    const x = tf.randomNormal([1, 64, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const feats = model.forwardFeatures(x);
    expect(feats.shape).toEqual([1, 2, 2, 256]);
    expect(model.numFeatures).toBe(256);
    tf.dispose([x, feats]);
    model.dispose();
  });

  test('names follow timm: downsample.0/.1 only where the shortcut changes shape, classifier fc', () => {
    const model = createModel('resnet18', { numClasses: 2, imageSize: 64, initialize: false }) as ResNet;
    const names = model.namedVariables().map((v) => v.name);
    expect(names).toContain('layer2.0.downsample.0.weight');
    expect(names).toContain('layer2.0.downsample.1.running_var');
    expect(names.some((n) => n.startsWith('layer1.0.downsample'))).toBe(false);
    expect(names.some((n) => n.startsWith('layer2.1.downsample'))).toBe(false);
    expect(model.classifierName).toBe('fc');
    expect(names.slice(-2)).toEqual(['fc.weight', 'fc.bias']);
    model.dispose();
  });

  test("the last batch norm of each residual branch starts at zero (timm's zero_init_last)", () => {
    const model = createModel('resnet50', { numClasses: 2, imageSize: 64, args: { layers: [1, 1, 1, 1], channels: [8, 16, 32, 64], stemWidth: 8 } });
    const byName = new Map(model.namedVariables().map((v) => [v.name, v.variable]));
    expect(Array.from(byName.get('layer1.0.bn3.weight')!.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(byName.get('layer1.0.bn2.weight')!.dataSync()).every((v) => v === 1)).toBe(true);
    model.dispose();
  });
});
