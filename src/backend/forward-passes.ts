import * as tf from '@tensorflow/tfjs-core';
import { activeBindingLimit } from './webgpu/binding-limit';
import { planBindingSplit } from './webgpu/pass-plan';

/** A model as inference sees it: images [N, S, S, 3] in, one row per image out. */
export interface ForwardModel {
  readonly modelName: string;
  readonly imageSize: number;
  forward(x: tf.Tensor4D): tf.Tensor2D;
}

/** Per model: what its forward passes were planned for, and the answer. */
const plans = new WeakMap<ForwardModel, { backend: tf.KernelBackend; limit: number; batchSize: number; maxImages: number | undefined }>();

/**
 * The most images one forward pass of `model` may take on the active backend, for batches of
 * up to `batchSize`: undefined when the whole batch goes in one pass, which is always so except on webgpu,
 * whose storage-buffer binding bounds every tensor (backend/webgpu/pass-plan.ts). Measured once per
 * model (again for a larger batch), without running the model; a single image too large is a UserError.
 */
export async function forwardPassImages(model: ForwardModel, batchSize: number): Promise<number | undefined> {
  const limit = activeBindingLimit();
  if (limit == null) return undefined;
  const backend = tf.backend();
  const known = plans.get(model);
  if (known != null && known.backend === backend && known.limit === limit.bytes && known.batchSize >= batchSize) return known.maxImages;
  const S = model.imageSize;
  const plan = await planBindingSplit({
    label: `${model.modelName} at ${S} px`,
    what: 'forward pass',
    batchSize,
    probe: (n) => tf.tidy(() => void model.forward(tf.zeros([n, S, S, 3]))),
  });
  const maxImages = plan == null || plan.maxImages >= batchSize ? undefined : plan.maxImages;
  plans.set(model, { backend, limit: limit.bytes, batchSize, maxImages });
  return maxImages;
}

/**
 * model.forward over `x` in passes of at most `maxImages` images (forwardPassImages), the rows put
 * back together in order; one pass when `maxImages` is undefined or covers the batch. Call it where
 * model.forward would be called (inside tf.tidy).
 */
export function forwardInPasses(model: ForwardModel, x: tf.Tensor4D, maxImages: number | undefined): tf.Tensor2D {
  const n = x.shape[0];
  if (maxImages == null || maxImages >= n) return model.forward(x);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < n; start += maxImages) {
    parts.push(tf.tidy(() => model.forward(tf.slice(x, start, Math.min(maxImages, n - start)))));
  }
  const rows = tf.concat(parts, 0);
  tf.dispose(parts);
  return rows;
}
