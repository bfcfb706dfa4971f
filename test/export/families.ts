import * as tf from '@tensorflow/tfjs-core';
import { createModel, listModels } from '../../src/models';
import { getModelEntry } from '../../src/models/registry';
import { ClassifierModel } from '../../src/models/classifier';

const TINY_EFFICIENTNET = {
  headChannels: 32,
  stages: [
    { block: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 8, seRatio: 0.25 },
    { block: 'ir', repeats: 2, kernel: 5, stride: 2, expand: 3, channels: 16, seRatio: 0.25 },
  ],
};

/** One small variant per registered family (full-size models take minutes on the cpu backend). */
export const FAMILY_MODELS: { name: string; imageSize: number; args: Record<string, unknown> }[] = [
  { name: 'test_vit', imageSize: 32, args: { depth: 2, embedDim: 32, numHeads: 2, patchSize: 8 } },
  { name: 'efficientnet_b0', imageSize: 32, args: TINY_EFFICIENTNET },
  // TF "same" padding at an odd size: the padding is uneven.
  { name: 'tf_efficientnet_b0', imageSize: 33, args: TINY_EFFICIENTNET },
  { name: 'densenet121', imageSize: 32, args: { growthRate: 8, blockConfig: [2, 2] } },
  { name: 'resnet50', imageSize: 32, args: { layers: [1, 1, 1, 1], channels: [8, 16, 32, 64], stemWidth: 8 } },
  { name: 'swinv2_tiny_window8_256', imageSize: 32, args: { embedDim: 16, depths: [2, 2], numHeads: [1, 2], pretrainedWindowSizes: [0, 0] } },
  { name: 'vgg16', imageSize: 32, args: { features: [8, 'M', 16, 16, 'M'], mlpHidden: 32, mlpKernel: 3 } },
];

/** Every registered family has a variant above (a new family must add one). */
export function coveredFamilies(): { missing: string[] } {
  const families = new Set(listModels().map((n) => getModelEntry(n).family));
  const covered = new Set(FAMILY_MODELS.map((m) => getModelEntry(m.name).family));
  return { missing: [...families].filter((f) => !covered.has(f)) };
}

export const MEAN = [0.485, 0.456, 0.406];
export const STD = [0.229, 0.224, 0.225];

/** A seeded model with non-trivial batch-norm statistics (fresh ones are 0 and 1). */
export function familyModel(spec: (typeof FAMILY_MODELS)[number], numClasses = 3): ClassifierModel {
  const model = createModel(spec.name, { numClasses, imageSize: spec.imageSize, args: spec.args, seed: 4 });
  let k = 0;
  tf.tidy(() => {
    for (const v of model.namedVariables()) {
      if (v.name.endsWith('running_var')) v.variable.assign(tf.randomUniform(v.variable.shape, 0.5, 1.5, 'float32', k++));
      if (v.name.endsWith('running_mean')) v.variable.assign(tf.randomUniform(v.variable.shape, -0.2, 0.2, 'float32', k++));
    }
  });
  return model;
}

/** RGB images in [0, 1] and the same normalised, as fundus-train's pipeline feeds its models. */
export function images(batch: number, size: number, seed = 1): { raw: tf.Tensor4D; normalized: tf.Tensor4D } {
  const raw = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
  const normalized = tf.tidy(() => tf.div(tf.sub(raw, tf.tensor1d(MEAN)), tf.tensor1d(STD))) as tf.Tensor4D;
  return { raw, normalized };
}

/** Largest |a - b| / max(|b|) over the arrays. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
