import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { bceWithLogits, softmaxCrossEntropy } from '../../src/train/losses';

const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'torch-reference.json'), 'utf8')).losses;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('losses equal torch.nn.functional', () => {
  const logits = () => tf.tensor2d(ref.logits, ref.shape);
  const onehot = () => tf.cast(tf.oneHot(tf.tensor1d(ref.labels, 'int32'), 3), 'float32') as tf.Tensor2D;

  test('cross entropy', () => {
    expect(softmaxCrossEntropy(logits(), onehot()).dataSync()[0]).toBeCloseTo(ref.ce, 5);
  });
  test('cross entropy with label smoothing 0.1', () => {
    expect(softmaxCrossEntropy(logits(), onehot(), 0.1).dataSync()[0]).toBeCloseTo(ref.ce_smooth_0_1, 5);
  });
  test('BCE with logits (multi-label targets)', () => {
    expect(bceWithLogits(logits(), tf.tensor2d(ref.targets, ref.shape)).dataSync()[0]).toBeCloseTo(ref.bce, 5);
  });
  test('BCE with logits (one-hot targets)', () => {
    expect(bceWithLogits(logits(), onehot()).dataSync()[0]).toBeCloseTo(ref.bce_onehot, 5);
  });
  test('BCE is finite for extreme logits (stable form)', () => {
    const v = bceWithLogits(tf.tensor2d([[200, -200]]), tf.tensor2d([[0, 1]])).dataSync()[0];
    expect(v).toBeCloseTo(200, 3);
  });
  test('a hand-computed cross entropy', () => {
    // logits [0, ln 3]: softmax [1/4, 3/4]; the true class is 0, so the loss is ln 4.
    const v = softmaxCrossEntropy(tf.tensor2d([[0, Math.log(3)]]), tf.tensor2d([[1, 0]])).dataSync()[0];
    expect(v).toBeCloseTo(Math.log(4), 6);
  });
});
