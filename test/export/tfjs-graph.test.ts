import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { buildGraph } from '../../src/export/graph';
import { toTfGraph } from '../../src/export/tf-graph-def';
import { graphModelFromDir, writeGraphModel } from '../../src/export/tfjs-graph-model';
import { coveredFamilies, FAMILY_MODELS, familyModel, images, MEAN, relativeError, STD } from './families';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-graph-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every registered family has a variant in the export tests', () => {
  expect(coveredFamilies().missing).toEqual([]);
});

describe.each(FAMILY_MODELS.map((m) => [m.name, m] as const))('GraphModel export of %s', (name, spec) => {
  test.each(['cpu', 'wasm'])('stock tfjs-converter loads it on %s: same logits, dynamic batch, no leaks', async (backend) => {
    await tf.setBackend(backend);
    const start = tf.memory().numTensors;
    const model = familyModel(spec);
    const dir = path.join(tmp, `${name}-${backend}`);
    const graph = buildGraph(model);
    // The trained weights enter the graph under their timm names (not as anonymous constants).
    expect(
      graph.tensors
        .filter((t) => t.isWeight)
        .map((t) => t.name)
        .sort(),
    ).toEqual(
      model
        .namedVariables()
        .map((v) => v.name)
        .sort(),
    );
    writeGraphModel(dir, toTfGraph(graph, { mean: MEAN, std: STD }, 'softmax'), { model: name }, 'test', [-1, spec.imageSize, spec.imageSize, 3]);
    const loaded = await loadGraphModel(graphModelFromDir(dir));
    for (const batch of [1, 4]) {
      const { raw, normalized } = images(batch, spec.imageSize, batch);
      const expected = model.forward(normalized);
      const softmax = tf.softmax(expected);
      const before = tf.memory().numTensors;
      const [logits, probabilities] = loaded.execute(raw, ['logits', 'probabilities']) as tf.Tensor[];
      expect(logits.shape).toEqual([batch, 3]);
      expect(relativeError(logits.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
      expect(relativeError(probabilities.dataSync(), softmax.dataSync())).toBeLessThan(1e-5);
      tf.dispose([logits, probabilities]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([raw, normalized, expected, softmax]);
    }
    loaded.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
