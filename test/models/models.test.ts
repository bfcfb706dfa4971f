import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/backend/select';
import { ClassifierModel, createModel, createModelFromConfig, getModelEntry, listModels, ModelOptions } from '../../src/models';
import { torchShape } from '../../src/models/state';

/**
 * Every registered model, as timm's tests/test_models.py does: forward shapes, one backward pass,
 * the getConfig -> createModel round trip, layer groups and Grad-CAM targets. Full-size models are
 * narrowed through their family's args (test_vit and test_efficientnet are small as they are);
 * test/models/registry.test.ts builds every name at full size against timm's parameter counts.
 */

const SIZE = 32;
const NUM_CLASSES = 3;

// Per family: args that make a model of a few thousand parameters with the family's every block type.
const SMALL_ARGS: Record<string, Record<string, unknown>> = {
  vit: { depth: 2, embedDim: 32, numHeads: 2, patchSize: 8 },
  efficientnet: {
    stemChannels: 8,
    headChannels: 32,
    stages: [
      { block: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 8, seRatio: 0.25 },
      { block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 2, channels: 16, seRatio: 0.25 },
    ],
  },
  swinv2: { embedDim: 16, depths: [1, 1], numHeads: [1, 2], windowSize: 4 },
  resnet: { layers: [1, 1], channels: [8, 16], stemWidth: 8 },
  densenet: { growthRate: 8, blockConfig: [2, 2] },
  vgg: { features: [8, 'M', 16, 'M'], mlpHidden: 16, mlpKernel: 3 },
};
const AS_REGISTERED = new Set(['test_vit', 'test_efficientnet']);

function options(name: string, seed = 1): ModelOptions {
  const family = getModelEntry(name).family;
  const args = AS_REGISTERED.has(name) ? {} : SMALL_ARGS[family];
  if (!args) throw new Error(`no small args for family ${family}: add them to SMALL_ARGS`);
  return { numClasses: NUM_CLASSES, imageSize: SIZE, seed, dropRate: 0, dropPathRate: 0, args };
}

function image(batch: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([batch, SIZE, SIZE, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

beforeAll(async () => {
  await initBackend('wasm');
});

const names = listModels();

test('every family of the registry has small args here', () => {
  const families = new Set(names.map((n) => getModelEntry(n).family));
  expect([...families].filter((f) => !SMALL_ARGS[f])).toEqual([]);
  expect(names.length).toBeGreaterThan(20);
});

describe.each(names)('%s', (name) => {
  let model: ClassifierModel;
  beforeAll(() => {
    model = createModel(name, options(name));
  });
  afterAll(() => model.dispose());

  test('forward: logits [B, classes], pre-logits [B, numFeatures], nothing leaked', () => {
    const x = image(2, 1);
    const before = tf.memory().numTensors;
    const logits = model.forward(x);
    const pre = model.preLogits(x);
    expect(logits.shape).toEqual([2, NUM_CLASSES]);
    expect(pre.shape).toEqual([2, model.numFeatures]);
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([logits, pre]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  test('one backward pass gives every trainable parameter a finite, not-all-zero gradient', () => {
    // Zero-initialised branches (ResNet's last BN, Swin's post-norms) would give honest zero gradients
    // upstream; a fresh copy with every parameter nudged checks that each one is on the gradient path.
    const m = createModel(name, options(name));
    const params = m.namedVariables().filter((v) => !v.isBuffer);
    tf.tidy(() => params.forEach((p, i) => p.variable.assign(tf.add(p.variable, tf.randomNormal(p.variable.shape, 0, 0.1, 'float32', 100 + i)))));
    m.setTraining(true);
    const x = image(2, 2);
    const before = tf.memory().numTensors;
    const weights = tf.randomNormal([2, NUM_CLASSES], 0, 1, 'float32', 3);
    const { grads, value } = tf.variableGrads(
      () => tf.sum(tf.mul(m.forward(x), weights)) as tf.Scalar,
      params.map((p) => p.variable),
    );
    const bad = params
      .map((p) => {
        const g = grads[p.variable.name];
        if (!g) return `${p.name}: no gradient`;
        const values = g.dataSync();
        if (!values.every(Number.isFinite)) return `${p.name}: not finite`;
        return values.some((v) => v !== 0) ? null : `${p.name}: all zero`;
      })
      .filter((b) => b !== null);
    expect(bad).toEqual([]);
    tf.dispose([value, weights, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    m.dispose();
  });

  test('getConfig -> createModel gives the same config and, for the same seed, the same output', () => {
    const config = JSON.parse(JSON.stringify(model.getConfig())) as Record<string, unknown>;
    const rebuilt = createModelFromConfig(name, config, { seed: 1 });
    expect(rebuilt.getConfig()).toEqual(model.getConfig());
    expect(rebuilt.countParams()).toBe(model.countParams());
    const x = image(1, 4);
    const [a, b] = tf.tidy(() => [model.forward(x).dataSync(), rebuilt.forward(x).dataSync()]);
    expect(Array.from(b)).toEqual(Array.from(a));
    x.dispose();
    rebuilt.dispose();
  });

  test('layer groups run from the stem (0) to the classifier (last), in state-dict order', () => {
    const ids = model
      .namedVariables()
      .filter((v) => !v.isBuffer)
      .map((v) => [v.name, model.layerId(v.name)] as const);
    const top = model.numLayerGroups() - 1;
    expect(top).toBeGreaterThanOrEqual(2);
    expect(ids[0][1]).toBe(0);
    ids.forEach(([, id], i) => expect(id).toBeGreaterThanOrEqual(i > 0 ? ids[i - 1][1] : 0));
    expect(ids.filter(([n]) => n.startsWith(`${model.classifierName}.`)).map(([, id]) => id)).toEqual([top, top]);
    expect(new Set(ids.map(([, id]) => id)).size).toBe(top + 1);
  });

  test('camTarget: a grid of image positions, and the head applied to it gives the logits', () => {
    const x = image(1, 5);
    const before = tf.memory().numTensors;
    const [viaTarget, direct, grid] = tf.tidy(() => {
      const target = model.camTarget(x);
      return [target.head(target.activations).dataSync(), model.forward(x).dataSync(), target.toGrid(target.activations).shape];
    });
    expect(grid).toHaveLength(4);
    expect(grid[0]).toBe(1);
    Array.from(direct).forEach((v, i) => expect(viaTarget[i]).toBeCloseTo(v, 4));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe("timm's test models", () => {
  // Names, shapes, parameter counts and layer ids of timm's own networks (scripts/timm_test_models.py).
  const reference = JSON.parse(fs.readFileSync(path.join(__dirname, 'timm-test-models.json'), 'utf8')) as {
    num_classes: number;
    models: Record<string, { params: number; shapes: Record<string, number[]>; layer_ids: Record<string, number>; no_weight_decay: string[] }>;
    layer_ids: Record<string, { ids: Record<string, number> }>;
  };

  test.each(Object.keys(reference.models))("%s has the state-dict names and shapes of timm's, and its parameter count", (name) => {
    const ref = reference.models[name];
    const model = createModel(name, { numClasses: reference.num_classes, initialize: false });
    const shapes = Object.fromEntries(model.namedVariables().map((v) => [v.name, torchShape(v.layout, v.variable.shape)]));
    expect(shapes).toEqual(ref.shapes);
    expect(model.countParams()).toBe(ref.params);
    model.dispose();
  });

  test("test_efficientnet's layer groups are timm's; test_vit's too, but for the final norm (grouped with the head, BEiT's recipe)", () => {
    for (const name of ['test_efficientnet', 'test_vit']) {
      const ref = reference.models[name];
      const model = createModel(name, { numClasses: reference.num_classes, initialize: false });
      const ours = Object.fromEntries(Object.keys(ref.layer_ids).map((n) => [n, model.layerId(n)]));
      const expected = { ...ref.layer_ids };
      if (name === 'test_vit') {
        expected['norm.weight'] = expected['norm.bias'] = expected['head.weight'];
      }
      expect([name, ours]).toEqual([name, expected]);
      expect(model.noWeightDecay()).toEqual(new Set(ref.no_weight_decay));
      model.dispose();
    }
  });

  // The architectures the script built in timm (its SMALL kwargs), as our args.
  const SMALL_AS_TIMM: Record<string, ModelOptions> = {
    swinv2_tiny_window8_256: { numClasses: 3, imageSize: 32, args: { embedDim: 16, depths: [2, 1], numHeads: [1, 2], windowSize: 4 } },
    resnet50: { numClasses: 3, imageSize: 32, args: { layers: [1, 2], channels: [8, 16], stemWidth: 8 } },
    densenet121: { numClasses: 3, imageSize: 32, args: { growthRate: 8, blockConfig: [2, 2] } },
    efficientnet_b0: { numClasses: 3, imageSize: 32 },
  };

  test.each(Object.keys(SMALL_AS_TIMM))("%s: the layer id of every parameter is timm's (param_groups_layer_decay)", (name) => {
    const ref = reference.layer_ids[name].ids;
    const model = createModel(name, { ...SMALL_AS_TIMM[name], initialize: false });
    const ours = Object.fromEntries(
      model
        .namedVariables()
        .filter((v) => !v.isBuffer)
        .map((v) => [v.name, model.layerId(v.name)]),
    );
    expect(ours).toEqual(ref);
    model.dispose();
  });
});
