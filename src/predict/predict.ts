import * as tf from '@tensorflow/tfjs-core';
import { forwardInPasses, forwardPassImages } from '../backend/forward-passes';
import { decodeImage, decodeImageInside } from '../data/image';
import { probabilities } from '../train/losses';
import { UserError } from '../util/errors';
import { gradCam } from './gradcam';
import { camOverlayPng } from './overlay';
import { modelSquareOnOriginal, PrepareFailure, preparedBatches } from './prepare';
import { Predictor } from './predictor';
import { ttaViews } from './tta';

/** One image's prediction. */
export interface ImagePrediction {
  ok: true;
  file: string;
  /** Per class, in the model's class order: softmax over classes, or a sigmoid per label for multi-label models. */
  probabilities: number[];
  /** The class with the highest probability. */
  top: { index: number; name: string; probability: number };
  /** Multi-label: the labels whose probability reaches their threshold. */
  positive?: string[];
  /** The heatmap, when asked for: a PNG of the original photograph with the map of the top class over it. */
  cam?: { classIndex: number; className: string; method: string; png: Buffer; width: number; height: number };
}

/** An image that could not be used, and why (one line). */
export interface ImageFailure {
  ok: false;
  file: string;
  error: string;
}

export type ImageResult = ImagePrediction | ImageFailure;

export interface PredictOptions {
  /** Test-time augmentation: average the probabilities over the image and its mirror images (see ttaViews). */
  tta?: boolean;
  /** Heatmaps over the photograph; maxSide draws them on the photograph shrunk to at most that many pixels (default: full size). */
  cam?: boolean | { maxSide?: number };
  /** Images per forward pass (default: the run's train.batchSize). */
  batchSize?: number;
}

/** What the probabilities are, in words. */
export function probabilityKind(predictor: Pick<Predictor, 'loss'>): 'sigmoid' | 'softmax' {
  return predictor.loss === 'bce' ? 'sigmoid' : 'softmax';
}

/**
 * Predicts each file: probabilities (with TTA, the mean over the views' probabilities), the top class,
 * and optionally a Grad-CAM heatmap of the top class (computed on the un-mirrored image). Files that
 * cannot be read come back as failures in their place; the others still run. Results follow `files`.
 */
export async function predictFiles(predictor: Predictor, files: string[], options: PredictOptions = {}): Promise<ImageResult[]> {
  const { model, classes } = predictor;
  if (options.cam && !predictor.backend.gradients) {
    throw new UserError(
      `heatmaps need gradients, which the ${predictor.backend.name} backend cannot compute here (${predictor.backend.message}); leave out --cam or use another backend`,
    );
  }
  if (options.cam && predictor.noHeatmaps) throw new UserError(`${predictor.noHeatmaps}; or leave out --cam`);
  model.setTraining(false);
  const views = ttaViews(predictor.config, options.tta ?? false);
  const results = new Array<ImageResult | undefined>(files.length);
  const failures: PrepareFailure[] = [];
  const S = model.imageSize;
  const C = classes.length;
  for await (const batch of preparedBatches(predictor, files, failures, options.batchSize)) {
    const n = batch.size;
    // A batch webgpu cannot bind at once runs in several passes (backend/forward-passes.ts).
    const perPass = predictor.forwardAsync ? undefined : await forwardPassImages(model, n);
    const probs = predictor.forwardAsync
      ? await viewMean(predictor, views, batch.x, [n, S, S, 3])
      : tf.tidy(() => {
          const x = tf.tensor4d(batch.x, [n, S, S, 3]);
          const sum = views.map((v) => probabilities(forwardInPasses(model, v.apply(x), perPass), predictor.loss)).reduce((a, b) => tf.add(a, b));
          return tf.div(sum, views.length);
        });
    const p = (await probs.data()) as Float32Array;
    probs.dispose();
    for (let k = 0; k < n; k++) {
      const index = batch.indices[k];
      const row = Array.from(p.subarray(k * C, (k + 1) * C));
      const prediction = describe(predictor, files[index], row);
      if (options.cam) {
        const maxSide = typeof options.cam === 'object' ? options.cam.maxSide : undefined;
        prediction.cam = await heatmap(predictor, files[index], batch.x.subarray(k * S * S * 3, (k + 1) * S * S * 3), prediction.top.index, maxSide);
      }
      results[index] = prediction;
    }
  }
  for (const f of failures) results[f.index] = { ok: false, file: f.file, error: f.error };
  return results.map((r, i) => r ?? { ok: false, file: files[i], error: 'could not be read' });
}

/** The mean probabilities over the views, for a model another runtime runs asynchronously (ONNX Runtime). */
async function viewMean(
  predictor: Predictor,
  views: ReturnType<typeof ttaViews>,
  data: Float32Array,
  shape: [number, number, number, number],
): Promise<tf.Tensor> {
  const x = tf.tensor4d(data, shape);
  let sum: tf.Tensor | null = null;
  for (const v of views) {
    const input = v.apply(x);
    const logits = await predictor.forwardAsync!(input);
    const p = probabilities(logits, predictor.loss);
    const next: tf.Tensor = sum ? tf.add(sum, p) : p.clone();
    tf.dispose([logits, p, ...(input !== x ? [input] : []), ...(sum ? [sum] : [])]);
    sum = next;
  }
  x.dispose();
  const mean = tf.div(sum!, views.length);
  sum!.dispose();
  return mean;
}

function describe(predictor: Predictor, file: string, probs: number[]): ImagePrediction {
  let top = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c] > probs[top]) top = c;
  const prediction: ImagePrediction = {
    ok: true,
    file,
    probabilities: probs,
    top: { index: top, name: predictor.classes[top], probability: probs[top] },
  };
  if (predictor.thresholds) prediction.positive = predictor.classes.filter((_, c) => probs[c] >= predictor.thresholds![c]);
  return prediction;
}

async function heatmap(
  predictor: Predictor,
  file: string,
  x: Float32Array,
  classIndex: number,
  maxSide: number | undefined,
): Promise<NonNullable<ImagePrediction['cam']>> {
  const S = predictor.model.imageSize;
  const input = tf.tensor4d(x, [1, S, S, 3]);
  let cam;
  try {
    cam = await gradCam(predictor.model, input, classIndex);
  } finally {
    input.dispose();
  }
  const original = maxSide ? await decodeImageInside(file, maxSide) : await decodeImage(file);
  const square = modelSquareOnOriginal(original, predictor.config.data.preprocess);
  const png = await camOverlayPng(original, cam, square);
  return { classIndex, className: predictor.classes[classIndex], method: cam.method, png, width: original.width, height: original.height };
}
