import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerGradients } from '../../src/backend/gradients';
import { clipGradients } from '../../src/train/clip-grad';
import { sigmoidFocalLoss, softmaxFocalLoss } from '../../src/train/focal-loss';
import { balancedClassWeights, balancedPosWeight, bceWithLogitsPosWeight, weightedSoftmaxCrossEntropy } from '../../src/train/loss-weights';
import { relativeError } from '../helpers/numeric';

// Recorded by scripts/losses_reference.py (torch, torchvision.ops.sigmoid_focal_loss, scikit-learn).
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'losses-reference.json'), 'utf8'));
const [N, C] = ref.shape;
const classes = ['a', 'b', 'c', 'd'];

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerGradients();
});

type Loss = (z: tf.Tensor2D) => tf.Scalar;

/** Value and gradient with respect to the logits, within 1e-6 of torch's (float64) ones. */
function expectMatches(name: string, loss: Loss): void {
  const before = tf.memory().numTensors;
  const z = tf.tensor2d(ref.logits, [N, C]);
  const value = tf.tidy(() => loss(z as tf.Tensor2D));
  const g = tf.grad((x: tf.Tensor) => loss(x as tf.Tensor2D))(z);
  const want = ref.cases[name];
  expect(Math.abs(value.dataSync()[0] - want.value)).toBeLessThan(1e-6 * Math.max(1, Math.abs(want.value)));
  expect(relativeError(g.dataSync(), want.grad)).toBeLessThan(1e-6);
  tf.dispose([z, value, g]);
  expect(tf.memory().numTensors).toBe(before);
}

const onehot = () =>
  tf.tensor2d(
    ref.labels.flatMap((l: number) => classes.map((_, c) => (c === l ? 1 : 0))),
    [N, C],
  );
const flags = () => tf.tensor2d(ref.flags, [N, C]);

describe('class-imbalance weights', () => {
  test("balanced class weights equal scikit-learn's compute_class_weight", () => {
    expect(balancedClassWeights(ref.labels, classes)).toEqual(ref.class_weights.map((w: number) => expect.closeTo(w, 14)));
  });
  test('balanced pos_weight is negatives / positives per label', () => {
    expect(balancedPosWeight(ref.flags, classes)).toEqual(ref.pos_weight.map((w: number) => expect.closeTo(w, 14)));
  });
  test('a class without training images is a user error naming it', () => {
    expect(() => balancedClassWeights([0, 0, 1], ['x', 'y', 'z'])).toThrow(/class "z" has no training image/);
    expect(() => balancedPosWeight([1, 0, 1, 0], ['p', 'q'])).toThrow(/label "q" has no positive/);
  });
});

describe('losses equal PyTorch (value and gradient, 1e-6)', () => {
  test('cross-entropy with class weights', () => expectMatches('ce_weighted', (z) => weightedSoftmaxCrossEntropy(z, onehot(), ref.class_weights)));
  test('cross-entropy with class weights and label smoothing', () =>
    expectMatches('ce_weighted_smooth', (z) => weightedSoftmaxCrossEntropy(z, onehot(), ref.class_weights, 0.1)));
  test('BCE with pos_weight', () => expectMatches('bce_pos_weight', (z) => bceWithLogitsPosWeight(z, flags(), ref.pos_weight)));
  test('BCE with pos_weight and label smoothing', () =>
    expectMatches('bce_pos_weight_smooth', (z) => bceWithLogitsPosWeight(z, flags(), ref.pos_weight, 0.1)));
  test('sigmoid focal loss (torchvision, alpha 0.25, gamma 2)', () => expectMatches('sigmoid_focal', (z) => sigmoidFocalLoss(z, flags(), 2, 0.25)));
  test('sigmoid focal loss without alpha', () => expectMatches('sigmoid_focal_no_alpha', (z) => sigmoidFocalLoss(z, flags(), 1.5, null)));
  test('sigmoid focal loss with label smoothing', () => expectMatches('sigmoid_focal_smooth', (z) => sigmoidFocalLoss(z, flags(), 2, 0.25, 0.1)));
  test('sigmoid focal loss with a per-label alpha', () =>
    expectMatches('sigmoid_focal_alpha_per_label', (z) => sigmoidFocalLoss(z, flags(), 2, ref.alpha_per_class)));
  test('softmax focal loss with a per-class alpha', () =>
    expectMatches('softmax_focal', (z) => softmaxFocalLoss(z, onehot(), 2, ref.alpha_per_class)));
  test('softmax focal loss with gamma 0 is cross-entropy', () =>
    expectMatches('softmax_focal_gamma0', (z) => softmaxFocalLoss(z, onehot(), 0, null)));
  test('softmax focal loss with label smoothing', () => expectMatches('softmax_focal_smooth', (z) => softmaxFocalLoss(z, onehot(), 2, null, 0.1)));
});

describe('gradient clipping equals torch.nn.utils', () => {
  const inputs = () =>
    Object.fromEntries(ref.clip.grads.map((g: number[], i: number) => [`g${i}`, tf.tensor(g, ref.clip.shapes[i])])) as tf.NamedTensorMap;
  test.each([
    ['norm_1', { norm: 1 }],
    ['norm_100', { norm: 100 }],
    ['value_0_5', { value: 0.5 }],
  ])('%s', (name, cfg) => {
    const before = tf.memory().numTensors;
    const g = inputs();
    const { grads, totalNorm } = clipGradients(g, cfg as never);
    const want = ref.clip[name];
    Object.keys(grads).forEach((k, i) => expect(relativeError(grads[k].dataSync(), want.grads[i])).toBeLessThan(1e-6));
    if (want.total_norm !== null) expect(totalNorm!.dataSync()[0]).toBeCloseTo(want.total_norm, 5);
    else expect(totalNorm).toBeNull();
    tf.dispose([...Object.values(g), ...Object.values(grads), ...(totalNorm ? [totalNorm] : [])]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
