import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors';
import { ClassifierModel } from './classifier';
import { NamedVariable, ParamLayout } from './layers/module';
import { HostTensor, StateDict } from './weights/tensor';

/** PyTorch layout -> ours, for one tensor (see ParamLayout). */
export function fromTorchLayout(layout: ParamLayout, torch: tf.Tensor, target: number[]): tf.Tensor {
  return tf.tidy(() => {
    switch (layout) {
      case 'conv2d': // [out, in, kh, kw] -> [kh, kw, in, out]
        return tf.transpose(torch, [2, 3, 1, 0]);
      case 'depthwise': // [in·mult, 1, kh, kw] -> [kh, kw, in, mult]
        return tf.transpose(tf.reshape(torch, [target[2], target[3], target[0], target[1]]), [2, 3, 0, 1]);
      case 'linear': // [out, in] -> [in, out]
        return tf.transpose(torch, [1, 0]);
      case 'plain':
        return tf.reshape(torch, target);
    }
  });
}

/** The PyTorch shape of one of our variables. */
export function torchShape(layout: ParamLayout, shape: number[]): number[] {
  switch (layout) {
    case 'conv2d':
      return [shape[3], shape[2], shape[0], shape[1]];
    case 'depthwise':
      return [shape[2] * shape[3], 1, shape[0], shape[1]];
    case 'linear':
      return [shape[1], shape[0]];
    case 'plain':
      return shape;
  }
}

/** Ours -> PyTorch layout. */
export function toTorchLayout(layout: ParamLayout, ours: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (layout) {
      case 'conv2d':
        return tf.transpose(ours, [3, 2, 0, 1]);
      case 'depthwise': {
        const [kh, kw, c, m] = ours.shape;
        return tf.reshape(tf.transpose(ours, [2, 3, 0, 1]), [c * m, 1, kh, kw]);
      }
      case 'linear':
        return tf.transpose(ours, [1, 0]);
      case 'plain':
        return tf.clone(ours);
    }
  });
}

/** Batch-norm step counters: PyTorch bookkeeping with no effect on the function computed. */
const IGNORED_SUFFIXES = ['num_batches_tracked'];

/** The model's weights as a state dict under timm's names and in PyTorch's layout (float32). */
export async function exportStateDict(model: ClassifierModel): Promise<StateDict> {
  const dict: StateDict = new Map();
  for (const v of model.namedVariables()) {
    const t = toTorchLayout(v.layout, v.variable);
    dict.set(v.name, { dtype: 'float32', shape: t.shape, data: (await t.data()) as Float32Array });
    t.dispose();
    if (v.name.endsWith('.running_var')) {
      // timm's strict load expects BN step counters; they do not affect the function.
      dict.set(v.name.replace(/running_var$/, 'num_batches_tracked'), { dtype: 'int64', shape: [], data: new BigInt64Array(1) });
    }
  }
  return dict;
}

export interface ApplyStateDictOptions {
  /** Missing, unexpected or mis-shaped tensors (other than a replaced classifier) are errors. */
  strict: boolean;
  /** Where the weights came from, for messages. */
  source: string;
}

export interface ApplyStateDictReport {
  loaded: number;
  /** Classifier tensors not loaded because the class count differs. */
  replacedClassifier: { from: number; to: number } | null;
  missing: string[];
  unexpected: string[];
  mismatched: string[];
  /** One-line summary for the user. */
  message: string;
}

/**
 * Copies a state dict (timm names, PyTorch layout) into the model. Tensors a family must adapt
 * (e.g. ViT position embeddings at another image size) go through `model.adaptPretrained`.
 */
export function applyStateDict(model: ClassifierModel, dict: StateDict, options: ApplyStateDictOptions): ApplyStateDictReport {
  const variables = new Map<string, NamedVariable>(model.namedVariables().map((v) => [v.name, v]));
  const classifierPrefix = `${model.classifierName}.`;
  const missing: string[] = [];
  const mismatched: string[] = [];
  const unexpected: string[] = [];
  let replaced: ApplyStateDictReport['replacedClassifier'] = null;
  const assignments: [tf.Variable, HostTensor, NamedVariable][] = [];

  for (const [name, v] of variables) {
    let t = dict.get(name);
    if (!t) {
      missing.push(name);
      continue;
    }
    if (t.dtype !== 'float32') {
      mismatched.push(`${name} (dtype ${t.dtype})`);
      continue;
    }
    t = model.adaptPretrained(name, t);
    const want = torchShape(v.layout, v.variable.shape);
    if (t.shape.join(',') !== want.join(',')) {
      if (name.startsWith(classifierPrefix)) {
        replaced = { from: t.shape[0], to: want[0] };
        continue;
      }
      mismatched.push(`${name} (file ${JSON.stringify(t.shape)}, model ${JSON.stringify(want)})`);
      continue;
    }
    assignments.push([v.variable, t, v]);
  }
  for (const name of dict.keys()) {
    if (variables.has(name) || IGNORED_SUFFIXES.some((s) => name.endsWith(s))) continue;
    unexpected.push(name);
  }
  // A file without a classifier (a feature extractor) keeps the model's new head.
  const missingNonHead = missing.filter((n) => !n.startsWith(classifierPrefix));
  if (missing.length > missingNonHead.length && !replaced) replaced = { from: 0, to: model.numClasses };

  const problems = [
    missingNonHead.length ? `missing ${missingNonHead.length} (${preview(missingNonHead)})` : '',
    unexpected.length ? `unexpected ${unexpected.length} (${preview(unexpected)})` : '',
    mismatched.length ? `mis-shaped ${mismatched.length} (${preview(mismatched)})` : '',
  ].filter(Boolean);
  if (options.strict && problems.length > 0) {
    throw new UserError(
      `${options.source}: weights do not fit ${model.modelName}: ${problems.join('; ')}; check model.name, or set model.strict: false to load what matches`,
    );
  }
  for (const [variable, t, v] of assignments) {
    tf.tidy(() => variable.assign(fromTorchLayout(v.layout, tf.tensor(t.data as Float32Array, t.shape), variable.shape)));
  }
  const parts = [`loaded ${assignments.length}/${variables.size} tensors from ${options.source}`];
  if (replaced)
    parts.push(
      replaced.from
        ? `new classifier: weights have ${replaced.from} classes, model has ${replaced.to}`
        : 'weights have no classifier: a new one is trained',
    );
  if (!options.strict && problems.length) parts.push(`not loaded: ${problems.join('; ')}`);
  return { loaded: assignments.length, replacedClassifier: replaced, missing: missingNonHead, unexpected, mismatched, message: parts.join('; ') };
}

function preview(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, ...`;
}
