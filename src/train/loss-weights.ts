import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors';

/**
 * Class-imbalance weights and the weighted losses that use them. Counts come from the training
 * split only; a class (or label) with no example there cannot be balanced and is a user error.
 */

/** scikit-learn's compute_class_weight('balanced'): n_samples / (n_classes · count of the class). */
export function balancedClassWeights(labels: ArrayLike<number>, classes: readonly string[]): number[] {
  const counts = new Array<number>(classes.length).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]] += 1;
  counts.forEach((n, c) => {
    if (n === 0) throw new UserError(`train.classWeights: balanced: class "${classes[c]}" has no training image; give the weights as a list`);
  });
  return counts.map((n) => labels.length / (classes.length * n));
}

/**
 * PyTorch's suggested pos_weight for BCEWithLogitsLoss: negatives / positives per label (300
 * negatives and 100 positives give 3). `flags` is [n, labels] row-major 0/1.
 */
export function balancedPosWeight(flags: ArrayLike<number>, labels: readonly string[]): number[] {
  const k = labels.length;
  const n = flags.length / k;
  const pos = new Array<number>(k).fill(0);
  for (let i = 0; i < flags.length; i++) if (flags[i] > 0.5) pos[i % k] += 1;
  return pos.map((p, c) => {
    if (p === 0) throw new UserError(`train.posWeight: balanced: label "${labels[c]}" has no positive training image; give the weights as a list`);
    return (n - p) / p;
  });
}

/**
 * Cross-entropy with per-class weights, equal to torch's F.cross_entropy(weight=w,
 * label_smoothing=ε) for one-hot targets: Σ_i Σ_c w_c·t̃_ic·(−log p_ic) / Σ_i Σ_c w_c·t_ic, where
 * t̃ is the smoothed target and t the given one. Soft targets (mixup) use the same weighted mean.
 */
export function weightedSoftmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, weights: readonly number[], labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const c = logits.shape[1];
    const w = tf.tensor1d(weights as number[]);
    const smoothed = labelSmoothing > 0 ? tf.add(tf.mul(targets, 1 - labelSmoothing), labelSmoothing / c) : targets;
    const nll = tf.neg(tf.sum(tf.mul(tf.mul(smoothed, w), tf.logSoftmax(logits))));
    return tf.div(nll, tf.sum(tf.mul(targets, w))) as tf.Scalar;
  });
}

/**
 * torch's BCEWithLogitsLoss(pos_weight=p), mean over elements: −[p·y·log σ(z) + (1 − y)·log(1 − σ(z))],
 * in the stable form (1 − y)·z + (1 + (p − 1)·y)·(log(1 + e^−|z|) + max(−z, 0)).
 */
export function bceWithLogitsPosWeight(logits: tf.Tensor2D, targets: tf.Tensor2D, posWeight: readonly number[], labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const y = labelSmoothing > 0 ? tf.add(tf.mul(targets, 1 - labelSmoothing), labelSmoothing / 2) : targets;
    const p = tf.tensor1d(posWeight as number[]);
    const softplusNeg = tf.add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))), tf.relu(tf.neg(logits)));
    const scale = tf.add(1, tf.mul(tf.sub(p, 1), y));
    return tf.mean(tf.add(tf.mul(tf.sub(1, y), logits), tf.mul(scale, softplusNeg))) as tf.Scalar;
  });
}
