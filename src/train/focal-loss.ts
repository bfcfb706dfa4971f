import * as tf from '@tensorflow/tfjs-core';

/** α of the focal loss: one number for every class, one per class, or null (no α-balancing). */
export type FocalAlpha = number | readonly number[] | null;

function alphaTensor(alpha: FocalAlpha): tf.Tensor | null {
  if (alpha === null) return null;
  return typeof alpha === 'number' ? tf.scalar(alpha) : tf.tensor1d(alpha as number[]);
}

/**
 * torchvision.ops.sigmoid_focal_loss with reduction 'mean' (Lin et al. 2017, per label):
 * BCE(z, y)·(1 − p_t)^γ, times α·y + (1 − α)·(1 − y) when α is given; a per-label α broadcasts over
 * the batch. Label smoothing softens y first, as for plain BCE.
 */
export function sigmoidFocalLoss(logits: tf.Tensor2D, targets: tf.Tensor2D, gamma: number, alpha: FocalAlpha, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const y = labelSmoothing > 0 ? tf.add(tf.mul(targets, 1 - labelSmoothing), labelSmoothing / 2) : targets;
    const p = tf.sigmoid(logits);
    const ce = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    const pt = tf.add(tf.mul(p, y), tf.mul(tf.sub(1, p), tf.sub(1, y)));
    let loss = gamma === 0 ? ce : tf.mul(ce, tf.pow(tf.sub(1, pt), gamma));
    const a = alphaTensor(alpha);
    if (a) loss = tf.mul(loss, tf.add(tf.mul(a, y), tf.mul(tf.sub(1, a), tf.sub(1, y))));
    return tf.mean(loss) as tf.Scalar;
  });
}

/**
 * The multi-class focal loss: mean over images of −Σ_c α_c·t_c·(1 − p_c)^γ·log p_c with p the softmax
 * (γ = 0 and no α is cross-entropy). Soft and smoothed targets weight each class's term.
 */
export function softmaxFocalLoss(logits: tf.Tensor2D, targets: tf.Tensor2D, gamma: number, alpha: FocalAlpha, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const c = logits.shape[1];
    const t = labelSmoothing > 0 ? tf.add(tf.mul(targets, 1 - labelSmoothing), labelSmoothing / c) : targets;
    const logP = tf.logSoftmax(logits);
    let term = tf.mul(t, logP);
    if (gamma !== 0) term = tf.mul(term, tf.pow(tf.sub(1, tf.exp(logP)), gamma));
    const a = alphaTensor(alpha);
    if (a) term = tf.mul(term, a);
    return tf.neg(tf.mean(tf.sum(term, 1))) as tf.Scalar;
  });
}
