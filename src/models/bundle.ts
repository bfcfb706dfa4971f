import { packageVersion } from '../util/version';
import { UserError } from '../util/errors';
import { ClassifierModel } from './classifier';

/** The parts of a resolved experiment config a model's user needs (structural, so models need not import config). */
export interface BundleConfig {
  model: { name: string; args: Record<string, unknown> };
  data: { normalize: { mean: number[]; std: number[] }; preprocess: unknown };
  eval: { threshold: number | 'tune' };
  train: { loss: string };
  /** Where the run was written: left out of the bundle (a model is the same wherever it was trained). */
  out?: string;
}

/** How a photograph becomes the model's input, in words (the data pipeline's rule: sharp's fit "cover", centred). */
export const RESIZE_RULE = 'after data.preprocess: scale the shorter side to image_size, then crop the centre square (sharp fit "cover")';

/**
 * Everything a user of the model needs, as string metadata (the form safetensors, ONNX metadata_props and
 * model.json's userDefinedMetadata all hold): classes in output order, task and output function, decision
 * thresholds, input size, resize rule, normalisation, fundus preprocessing, the model's name and arguments,
 * the training config (whole, and its hash) and the package version. Written into every checkpoint and export.
 */
export function bundleMetadata(
  model: ClassifierModel,
  config: BundleConfig,
  dataset: { classes: string[]; task: string },
  configHash: string,
  thresholds?: number[],
): Record<string, string> {
  const multilabel = dataset.task === 'multilabel';
  const sigmoid = config.train.loss === 'bce' || (config.train.loss === 'auto' && multilabel);
  const fixed = typeof config.eval.threshold === 'number' ? config.eval.threshold : 0.5;
  const { out: _out, ...trainingConfig } = config;
  void _out;
  return {
    fundus_train_version: packageVersion(),
    model: model.modelName,
    model_args: JSON.stringify(config.model.args ?? {}),
    classes: JSON.stringify(dataset.classes),
    task: dataset.task,
    output: sigmoid ? 'sigmoid' : 'softmax',
    thresholds: JSON.stringify(thresholds ?? dataset.classes.map(() => fixed)),
    threshold_rule: String(config.eval.threshold),
    image_size: String(model.imageSize),
    resize: RESIZE_RULE,
    normalize: JSON.stringify(config.data.normalize),
    preprocess: JSON.stringify(config.data.preprocess ?? null),
    config_hash: configHash,
    config: JSON.stringify(trainingConfig),
  };
}

/** A bundle's metadata, parsed; missing or malformed keys are one-line errors naming the file. */
export interface Bundle {
  model: string;
  modelArgs: Record<string, unknown>;
  classes: string[];
  task: 'binary' | 'multiclass' | 'multilabel';
  output: 'softmax' | 'sigmoid';
  thresholds: number[];
  imageSize: number;
  normalize: { mean: number[]; std: number[] };
  /** The training config as resolved when the bundle was written (null in files from before bundles). */
  config: Record<string, unknown> | null;
  metadata: Record<string, string>;
}

const TASKS = ['binary', 'multiclass', 'multilabel'] as const;

export function parseBundle(metadata: Record<string, string>, file: string): Bundle {
  const json = <T>(key: string): T => {
    if (metadata[key] === undefined) throw new UserError(`${file}: no "${key}" in its metadata: it was not written by fundus-train train or export`);
    try {
      return JSON.parse(metadata[key]) as T;
    } catch {
      throw new UserError(`${file}: metadata "${key}" is not valid JSON`);
    }
  };
  const classes = json<string[]>('classes');
  const task = metadata.task as Bundle['task'];
  if (!TASKS.includes(task)) throw new UserError(`${file}: unknown task "${metadata.task}" in its metadata (expected ${TASKS.join(', ')})`);
  if (!metadata.model) throw new UserError(`${file}: no "model" in its metadata: it was not written by fundus-train train or export`);
  const config = metadata.config ? json<Record<string, unknown>>('config') : null;
  const output = metadata.output === 'sigmoid' || metadata.output === 'softmax' ? metadata.output : task === 'multilabel' ? 'sigmoid' : 'softmax';
  return {
    model: metadata.model,
    modelArgs: metadata.model_args ? json<Record<string, unknown>>('model_args') : {},
    classes,
    task,
    output,
    thresholds: metadata.thresholds ? json<number[]>('thresholds') : classes.map(() => 0.5),
    imageSize: Number(metadata.image_size),
    normalize: metadata.normalize ? json<{ mean: number[]; std: number[] }>('normalize') : { mean: [0, 0, 0], std: [1, 1, 1] },
    config,
    metadata,
  };
}
