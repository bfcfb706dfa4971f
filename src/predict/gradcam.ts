import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel } from '../models/classifier';

/** A class activation map on the model's square input: values in [0, 1], row-major, `height` x `width`. */
export interface ClassActivationMap {
  width: number;
  height: number;
  values: Float32Array;
  /** The class whose score the map explains. */
  classIndex: number;
  /** What the map was computed on, in words. */
  method: string;
}

/**
 * Grad-CAM (Selvaraju et al.): the activations A_k of a late layer are weighted by the mean gradient
 * of the class's logit with respect to them, w_k = mean(∂y_c/∂A_k), summed and rectified,
 * relu(Σ_k w_k A_k), then scaled so the largest value is 1 (an all-zero map stays zero). The layer is
 * the model's camTarget: the last stage's feature map of CNNs and Swin, the patch tokens entering
 * the last block of a ViT.
 *
 * `x` is one normalised image [1, S, S, 3]; the model must be in inference mode. The map is read
 * back asynchronously, which every backend allows (webgpu in Node reads no other way).
 */
export async function gradCam(model: ClassifierModel, x: tf.Tensor4D, classIndex: number): Promise<ClassActivationMap> {
  if (x.shape[0] !== 1) throw new Error(`gradCam takes one image, got a batch of ${x.shape[0]}`);
  if (classIndex < 0 || classIndex >= model.numClasses) throw new Error(`class ${classIndex} is outside 0..${model.numClasses - 1}`);
  const { map, height, width, method } = tf.tidy(() => {
    const target = model.camTarget(x);
    const score = (a: tf.Tensor): tf.Scalar => tf.sum(tf.slice(target.head(a), [0, classIndex], [1, 1]));
    const grads = tf.grad(score)(target.activations);
    const activations = target.toGrid(target.activations);
    const [, h, w, c] = activations.shape;
    const map = weightedSum(tf.reshape(activations, [1, h * w, c]), tf.reshape(target.toGrid(grads), [1, h * w, c]), [1]);
    return { map, height: h, width: w, method: `Grad-CAM on ${target.layer}` };
  });
  let values: Float32Array;
  try {
    values = (await map.data()) as Float32Array;
  } finally {
    map.dispose();
  }
  let top = 0;
  for (const v of values) top = Math.max(top, v);
  const scaled = new Float32Array(values.length);
  if (top > 0) for (let i = 0; i < values.length; i++) scaled[i] = values[i] / top;
  return { width, height, values: scaled, classIndex, method };
}

/** relu(Σ_k mean_over(axes)(grads)_k · activations_k) per position: [1, P, K] -> [P]. */
function weightedSum(activations: tf.Tensor, grads: tf.Tensor, axes: number[]): tf.Tensor1D {
  const weights = tf.mean(grads, axes, true); // [1, 1, K]
  const [, p] = activations.shape;
  return tf.reshape(tf.relu(tf.sum(tf.mul(activations, weights), 2)), [p]) as tf.Tensor1D;
}
