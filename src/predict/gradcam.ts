import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel } from '../models/classifier';
import { VisionTransformer } from '../models/vit';

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

/** Methods, in the words outputs use. */
export const CAM_METHODS = {
  featureMap: 'Grad-CAM on the last stage\'s feature map',
  vitTokens: 'Grad-CAM on the patch tokens entering the last transformer block',
} as const;

/**
 * Grad-CAM (Selvaraju et al.): the activations A_k of a late layer are weighted by the mean gradient
 * of the class's logit with respect to them, w_k = mean(∂y_c/∂A_k), summed and rectified,
 * relu(Σ_k w_k A_k), then scaled so the largest value is 1 (an all-zero map stays zero).
 *
 * - CNNs and Swin: on `forwardFeatures`' map [1, h, w, C] (the last convolutional stage; the head
 *   pools it), gradients from `forwardHead`.
 * - ViT: on the tokens entering the last block, reshaped to the patch grid. The final norm's patch
 *   tokens would not do: with class-token pooling the logits do not depend on them, so their
 *   gradients are zero; the last block's attention is where patch tokens feed the class token.
 *
 * `x` is one normalised image [1, S, S, 3]; the model must be in inference mode.
 */
export function gradCam(model: ClassifierModel, x: tf.Tensor4D, classIndex: number): ClassActivationMap {
  if (x.shape[0] !== 1) throw new Error(`gradCam takes one image, got a batch of ${x.shape[0]}`);
  if (classIndex < 0 || classIndex >= model.numClasses) throw new Error(`class ${classIndex} is outside 0..${model.numClasses - 1}`);
  const { map, height, width, method } = tf.tidy(() => {
    const score = (logits: tf.Tensor2D): tf.Scalar => tf.sum(tf.slice(logits, [0, classIndex], [1, 1]));
    if (model instanceof VisionTransformer && model.blocks.length > 0) {
      const tokens = vitTokensBeforeLastBlock(model, x);
      const last = model.blocks[model.blocks.length - 1];
      const grads = tf.grad((t: tf.Tensor) => score(model.forwardHead(model.norm.forward(last.forward(t as tf.Tensor3D)))))(tokens);
      const [, n, d] = tokens.shape;
      const grid = Math.round(Math.sqrt(n - 1));
      if (grid * grid !== n - 1) throw new Error(`ViT with ${n - 1} patch tokens: not a square grid`);
      // Patch tokens only (the class token has no place in the image).
      const patches = tf.slice(tokens, [0, 1, 0], [1, n - 1, d]);
      const patchGrads = tf.slice(grads, [0, 1, 0], [1, n - 1, d]);
      return { map: weightedSum(patches, patchGrads, [1]), height: grid, width: grid, method: CAM_METHODS.vitTokens };
    }
    const features = model.forwardFeatures(x);
    if (features.rank !== 4) throw new Error(`${model.modelName}: forwardFeatures gives rank ${features.rank}, not a feature map`);
    const grads = tf.grad((f: tf.Tensor) => score(model.forwardHead(f)))(features);
    const [, h, w, c] = features.shape;
    const map = weightedSum(tf.reshape(features, [1, h * w, c]), tf.reshape(grads, [1, h * w, c]), [1]);
    return { map, height: h, width: w, method: CAM_METHODS.featureMap };
  });
  const values = map.dataSync() as Float32Array;
  map.dispose();
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

/** The ViT's token sequence [1, 1 + N, D] just before its last block (what forwardFeatures computes up to there). */
export function vitTokensBeforeLastBlock(model: VisionTransformer, x: tf.Tensor4D): tf.Tensor3D {
  const b = x.shape[0];
  const patches = model.patchEmbed.forward(x);
  const cls = tf.tile(model.clsToken, [b, 1, 1]);
  let t = tf.add(tf.concat([cls, patches], 1), model.posEmbed) as tf.Tensor3D;
  for (const block of model.blocks.slice(0, -1)) t = block.forward(t);
  return t;
}
