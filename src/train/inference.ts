import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel } from '../models/classifier';
import { ImageBatches } from '../data/pipeline';
import { forwardInPasses, forwardPassImages } from '../backend/forward-passes';
import { LossName, lossFunction, probabilities } from './losses';

export interface Predictions {
  /** Sample indices in the order of `probs`. */
  indices: number[];
  /** Probabilities per sample and class. */
  probs: number[][];
  /** Targets per sample (one-hot or 0/1), as the batches carried them. */
  targets: number[][];
  /** Mean loss over all samples. */
  loss: number;
}

/**
 * Runs the model in inference mode over every batch; exact over the whole set, not averaged per batch.
 * A batch whose tensors webgpu cannot bind at once runs in several passes (backend/forward-passes.ts).
 */
export async function predictBatches(model: ClassifierModel, batches: ImageBatches, loss: LossName): Promise<Predictions> {
  model.setTraining(false);
  const lossFn = lossFunction(loss, 0);
  const out: Predictions = { indices: [], probs: [], targets: [], loss: 0 };
  let lossSum = 0;
  const c = model.numClasses;
  for await (const batch of batches.epoch(0)) {
    const n = batch.size;
    const s = model.imageSize;
    const perPass = await forwardPassImages(model, n);
    const [p, l] = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [n, s, s, 3]);
      const y = tf.tensor2d(batch.y, [n, c]);
      const logits = forwardInPasses(model, x, perPass);
      return [probabilities(logits, loss), lossFn(logits, y)];
    });
    const probs = (await p.data()) as Float32Array;
    lossSum += (await l.data())[0] * n;
    p.dispose();
    l.dispose();
    for (let i = 0; i < n; i++) {
      out.indices.push(batch.indices[i]);
      out.probs.push(Array.from(probs.subarray(i * c, (i + 1) * c)));
      out.targets.push(Array.from(batch.y.subarray(i * c, (i + 1) * c)));
    }
  }
  out.loss = out.indices.length ? lossSum / out.indices.length : NaN;
  return out;
}
