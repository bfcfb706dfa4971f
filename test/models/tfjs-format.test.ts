import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { createModel } from '../../src/models';
import { loadTfjsModel, saveTfjsModel, TfjsModelTopology } from '../../src/models/tfjs-format';
import { UserError } from '../../src/util/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-tfjs-'));
const ARGS = { depth: 2, embedDim: 32, numHeads: 2, patchSize: 8 };
const topology: TfjsModelTopology = {
  model: 'test_vit',
  numClasses: 3,
  imageSize: 32,
  args: ARGS,
  classes: ['a', 'b', 'c'],
  task: 'multiclass',
  normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
};

describe('TensorFlow.js model format', () => {
  test('saved on wasm, loaded on cpu: same weights and same logits', async () => {
    await tf.setBackend('wasm');
    const model = createModel('test_vit', { numClasses: 3, imageSize: 32, seed: 5, args: ARGS });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const expected = Array.from(model.forward(x).dataSync());
    const xData = x.dataSync().slice();
    const files = await saveTfjsModel(model, path.join(tmp, 'm'), topology, 'test');
    expect(files[0]).toBe('model.json');
    expect(files.slice(1).every((f) => /^group1-shard\d+of\d+\.bin$/.test(f))).toBe(true);
    const json = JSON.parse(fs.readFileSync(path.join(tmp, 'm', 'model.json'), 'utf8'));
    expect(json.modelTopology.classes).toEqual(['a', 'b', 'c']);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain('blocks.1.attn.qkv.weight');

    await tf.setBackend('cpu');
    const { model: loaded, topology: t } = loadTfjsModel(path.join(tmp, 'm'));
    expect(t).toEqual(topology);
    const got = Array.from(loaded.forward(tf.tensor4d(xData, [2, 32, 32, 3])).dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    loaded.dispose();
    await tf.setBackend('wasm');
    model.dispose();
  });

  test('a missing shard or a foreign model.json is a one-line user error', async () => {
    await tf.setBackend('cpu');
    const model = createModel('test_vit', { numClasses: 3, imageSize: 32, args: ARGS });
    const dir = path.join(tmp, 'broken');
    await saveTfjsModel(model, dir, topology, 'test');
    model.dispose();
    fs.rmSync(path.join(dir, 'group1-shard1of1.bin'));
    expect(() => loadTfjsModel(dir)).toThrow(/weight shard group1-shard1of1\.bin is missing/);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: {} }));
    expect(() => loadTfjsModel(dir)).toThrow(UserError);
    expect(() => loadTfjsModel(path.join(tmp, 'nowhere'))).toThrow(/no model\.json/);
  });
});
