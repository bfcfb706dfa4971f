import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentConfig } from '../config/schema';
import type { Task } from '../data/types';

/** Mean softmax cross-entropy between logits [N, C] and one-hot (or soft) targets [N, C], with optional label smoothing. */
export function softmaxCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const c = logits.shape[1];
    const t = labelSmoothing > 0 ? tf.add(tf.mul(targets, 1 - labelSmoothing), labelSmoothing / c) : targets;
    const logProbs = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(t, logProbs), 1))) as tf.Scalar;
  });
}

/**
 * Mean sigmoid binary cross-entropy over all elements (torch's BCEWithLogitsLoss), in the stable form
 * max(z, 0) − z·y + log(1 + exp(−|z|)).
 */
export function bceWithLogits(logits: tf.Tensor2D, targets: tf.Tensor2D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const t = labelSmoothing > 0 ? tf.add(tf.mul(targets, 1 - labelSmoothing), labelSmoothing / 2) : targets;
    const z = logits;
    const loss = tf.add(tf.sub(tf.relu(z), tf.mul(z, t)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    return tf.mean(loss) as tf.Scalar;
  });
}

export type LossName = 'cross-entropy' | 'bce';

/** The loss a run trains with: train.loss, or under 'auto' BCE for multi-label and cross-entropy otherwise. */
export function resolveLoss(config: Pick<ExperimentConfig, 'train'>, dataset: { task: Task }): LossName {
  // focal is a weighting of the task's own loss: its probabilities are the task's (softmax or sigmoid).
  if (config.train.loss !== 'auto' && config.train.loss !== 'focal') return config.train.loss;
  return dataset.task === 'multilabel' ? 'bce' : 'cross-entropy';
}

export type LossFn = (logits: tf.Tensor2D, targets: tf.Tensor2D) => tf.Scalar;

export function lossFunction(name: LossName, labelSmoothing: number): LossFn {
  return name === 'bce' ? (l, t) => bceWithLogits(l, t, labelSmoothing) : (l, t) => softmaxCrossEntropy(l, t, labelSmoothing);
}

/** Class probabilities from logits: sigmoid per output for BCE-trained models, softmax otherwise. */
export function probabilities(logits: tf.Tensor2D, loss: LossName): tf.Tensor2D {
  return loss === 'bce' ? tf.sigmoid(logits) : tf.softmax(logits);
}
