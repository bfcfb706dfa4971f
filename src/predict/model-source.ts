import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { validateConfig } from '../config/load';
import { ExperimentConfig } from '../config/schema';
import { ClassifierModel } from '../models/classifier';
import { Bundle, parseBundle } from '../models/bundle';
import { loadBundleModel, locateWeights } from '../export/bundle-source';
import { readSafetensorsMetadata } from '../models/weights/safetensors';
import { readRunConfig } from '../train/run-model';
import { modelProto } from '../export/onnx/schema';
import { onnxRuntime, ortFloat32 } from '../export/onnx/runtime';
import { graphModelFromDir, readGraphModelJson } from '../export/tfjs-graph-model';
import type { GroupMatcher } from '../models/layer-groups';
import { UserError } from '../util/errors';

/** What a model path is: fundus-train's own forms (rebuilt from weights) or an export run by another runtime. */
export type ModelSourceKind = 'run' | 'checkpoint' | 'safetensors' | 'tfjs-graph' | 'onnx';

export function modelSourceKind(source: string): ModelSourceKind {
  const p = path.resolve(source);
  if (!fs.existsSync(p)) throw new UserError(`model not found: ${p}`);
  if (fs.statSync(p).isFile()) {
    if (p.endsWith('.onnx')) return 'onnx';
    if (path.basename(p) === 'model.json') return 'tfjs-graph';
    return 'safetensors';
  }
  if (fs.existsSync(path.join(p, 'model.json'))) return 'tfjs-graph';
  if (fs.existsSync(path.join(p, 'checkpoints')) || fs.existsSync(path.join(p, 'config.json'))) return 'run';
  return 'checkpoint';
}

/** A loaded model with what predicting needs to know about it. */
export interface LoadedModelSource {
  kind: ModelSourceKind;
  model: ClassifierModel;
  /** For models another runtime runs asynchronously (ONNX Runtime): logits of a normalised NHWC batch. */
  forwardAsync?: (x: tf.Tensor4D) => Promise<tf.Tensor2D>;
  config: ExperimentConfig;
  bundle: Bundle;
  /** The file or folder the weights came from. */
  location: string;
}

/**
 * Loads any form of a trained model: a run directory, a checkpoint directory (anywhere), a safetensors export,
 * a tfjs GraphModel export or an ONNX export. The config (preprocessing, normalisation, eval settings) comes
 * from the bundle metadata every checkpoint and export carries.
 */
export async function loadModelSource(source: string, which?: 'best' | 'last'): Promise<LoadedModelSource> {
  const kind = modelSourceKind(source);
  if (kind === 'tfjs-graph') return loadTfjsExport(source);
  if (kind === 'onnx') return loadOnnxExport(source);
  const b = loadBundleModel(source, which);
  return { kind, model: b.model, config: b.config, bundle: b.bundle, location: path.dirname(b.weights) };
}

/** The backend a model source's config asks for, read without building the model (the backend comes first). */
export function sourceBackend(source: string, which?: 'best' | 'last'): ExperimentConfig['backend'] {
  const kind = modelSourceKind(source);
  if (kind === 'tfjs-graph') {
    const dir = path.basename(source) === 'model.json' ? path.dirname(path.resolve(source)) : path.resolve(source);
    return configOf(parseBundle((readGraphModelJson(dir).userDefinedMetadata ?? {}) as Record<string, string>, dir), dir).backend;
  }
  if (kind === 'onnx') return configOf(onnxBundle(path.resolve(source)), source).backend;
  const { weights, runDir } = locateWeights(source, which);
  const bundle = parseBundle(readSafetensorsMetadata(weights), weights);
  if (bundle.config) return configOf(bundle, weights).backend;
  if (runDir) return readRunConfig(runDir).backend;
  return 'auto';
}

function onnxBundle(file: string): Bundle {
  let props: { key: string; value: string }[];
  try {
    props = (modelProto().decode(fs.readFileSync(file)) as unknown as { metadataProps?: { key: string; value: string }[] }).metadataProps ?? [];
  } catch (e) {
    throw new UserError(`${file} is not an ONNX model (${(e as Error).message})`);
  }
  return parseBundle(Object.fromEntries(props.map((p) => [p.key, p.value])), file);
}

function configOf(bundle: Bundle, file: string): ExperimentConfig {
  if (!bundle.config) throw new UserError(`${file}: no "config" in its metadata: export it again with fundus-train export`);
  return validateConfig(bundle.config, `${file} (metadata "config")`);
}

/** fundus-train's pipeline normalises; exports take RGB in [0, 1] and normalise inside. */
function denormalize(x: tf.Tensor4D, normalize: { mean: number[]; std: number[] }): tf.Tensor4D {
  return tf.tidy(() => tf.add(tf.mul(x, tf.tensor1d(normalize.std)), tf.tensor1d(normalize.mean)));
}

async function loadTfjsExport(source: string): Promise<LoadedModelSource> {
  const dir = path.basename(source) === 'model.json' ? path.dirname(path.resolve(source)) : path.resolve(source);
  const json = readGraphModelJson(dir);
  const file = path.join(dir, 'model.json');
  const bundle = parseBundle((json.userDefinedMetadata ?? {}) as Record<string, string>, file);
  const config = configOf(bundle, file);
  const graph = await loadGraphModel(graphModelFromDir(dir));
  const model = new ExportedModel(
    bundle,
    () => graph.dispose(),
    (x) => tf.tidy(() => graph.execute(denormalize(x, bundle.normalize), 'logits') as tf.Tensor2D),
  );
  return { kind: 'tfjs-graph', model, config, bundle, location: dir };
}

async function loadOnnxExport(source: string): Promise<LoadedModelSource> {
  const file = path.resolve(source);
  const ort = onnxRuntime();
  const bundle = onnxBundle(file);
  const config = configOf(bundle, file);
  const session = await ort.InferenceSession.create(file);
  const forwardAsync = async (x: tf.Tensor4D): Promise<tf.Tensor2D> => {
    const nchw = tf.tidy(() => tf.transpose(denormalize(x, bundle.normalize), [0, 3, 1, 2]));
    const input = new ort.Tensor('float32', ortFloat32(nchw.dataSync()), nchw.shape);
    nchw.dispose();
    const result = await session.run({ image: input }, ['logits']);
    return tf.tensor2d(Float32Array.from(result.logits.data as Float32Array), [x.shape[0], bundle.classes.length]);
  };
  const model = new ExportedModel(
    bundle,
    () => void session.release(),
    () => {
      throw new Error('an ONNX model runs asynchronously: use forwardAsync');
    },
  );
  return { kind: 'onnx', model, forwardAsync, config, bundle, location: file };
}

/**
 * An exported model seen as a classifier: logits only. Heatmaps need the network's feature maps and
 * gradients, which only fundus-train's own model has.
 */
class ExportedModel extends ClassifierModel {
  readonly numFeatures = 0;
  readonly classifierName = '';

  constructor(
    bundle: Bundle,
    private readonly release: () => void,
    private readonly run: (x: tf.Tensor4D) => tf.Tensor2D,
  ) {
    super(bundle.model, { numClasses: bundle.classes.length, imgSize: bundle.imageSize });
  }

  forwardFeatures(): tf.Tensor {
    throw new UserError(
      'heatmaps (--cam) need the model itself: use a run directory, a checkpoint or a safetensors export, not a tfjs or ONNX export',
    );
  }

  forwardHead(): tf.Tensor2D {
    return this.forwardFeatures() as tf.Tensor2D;
  }

  override forward(x: tf.Tensor4D): tf.Tensor2D {
    return this.run(x);
  }

  /** An export is never trained, so it has no layer groups of its own. */
  protected groupMatcher(): GroupMatcher {
    return {};
  }

  override dispose(): void {
    this.release();
  }
}
