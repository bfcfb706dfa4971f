import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../util/errors';
import { makeDirs, writeFileAtomic, writeJsonAtomic } from '../util/fs';
import { ClassifierModel } from './classifier';
import { createModel } from './registry';

/** How to rebuild the model: the arguments of createModel, plus what a user of the model needs to know. */
export interface TfjsModelTopology {
  model: string;
  numClasses: number;
  imageSize: number;
  args: Record<string, unknown>;
  /** Class names in output order, task and input normalisation: a model is useless without them. */
  classes: string[];
  task: string;
  normalize: { mean: number[]; std: number[] };
}

interface WeightsManifestEntry {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: 'float32' }[];
}

interface ModelJson {
  format: 'fundus-train';
  generatedBy: string;
  modelTopology: TfjsModelTopology;
  weightsManifest: WeightsManifestEntry[];
}

/** tfjs writes weights in shards of at most 4 MB; so do we. */
const SHARD_BYTES = 4 * 1024 * 1024;

/**
 * Saves a model in TensorFlow.js's file layout: model.json (topology and weights manifest)
 * plus binary weight shards (float32, little-endian, this library's NHWC layout and timm's names).
 */
export async function saveTfjsModel(model: ClassifierModel, dir: string, topology: TfjsModelTopology, generatedBy: string): Promise<string[]> {
  makeDirs(dir);
  const specs: WeightsManifestEntry['weights'] = [];
  const chunks: Uint8Array[] = [];
  for (const v of model.namedVariables()) {
    const data = (await v.variable.data()) as Float32Array;
    specs.push({ name: v.name, shape: v.variable.shape, dtype: 'float32' });
    chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  const total = Buffer.concat(chunks);
  const count = Math.max(1, Math.ceil(total.byteLength / SHARD_BYTES));
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `group1-shard${i + 1}of${count}.bin`;
    writeFileAtomic(path.join(dir, name), total.subarray(i * SHARD_BYTES, Math.min(total.byteLength, (i + 1) * SHARD_BYTES)));
    paths.push(name);
  }
  const json: ModelJson = { format: 'fundus-train', generatedBy, modelTopology: topology, weightsManifest: [{ paths, weights: specs }] };
  writeJsonAtomic(path.join(dir, 'model.json'), json);
  return ['model.json', ...paths];
}

/** Loads a model saved by saveTfjsModel on whatever backend is active. */
export function loadTfjsModel(dir: string): { model: ClassifierModel; topology: TfjsModelTopology } {
  const file = path.join(dir, 'model.json');
  if (!fs.existsSync(file)) throw new UserError(`${dir}: no model.json (export one with fundus-train export --format tfjs)`);
  let json: ModelJson;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (json.format !== 'fundus-train' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UserError(`${file} was not written by fundus-train (format "${json.format}")`);
  }
  const t = json.modelTopology;
  const model = createModel(t.model, { numClasses: t.numClasses, imageSize: t.imageSize, args: t.args, initialize: false });
  const variables = new Map(model.namedVariables().map((v) => [v.name, v.variable]));
  for (const group of json.weightsManifest) {
    const buffers = group.paths.map((p) => {
      const shard = path.join(dir, p);
      if (!fs.existsSync(shard)) throw new UserError(`${file}: weight shard ${p} is missing`);
      return fs.readFileSync(shard);
    });
    const all = Buffer.concat(buffers);
    let offset = 0;
    for (const spec of group.weights) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      if (offset + 4 * n > all.byteLength) throw new UserError(`${file}: weight shards are shorter than the manifest says (at ${spec.name})`);
      const values = new Float32Array(all.buffer.slice(all.byteOffset + offset, all.byteOffset + offset + 4 * n));
      offset += 4 * n;
      const variable = variables.get(spec.name);
      if (!variable || variable.shape.join(',') !== spec.shape.join(',')) {
        throw new UserError(`${file}: weight ${spec.name} ${JSON.stringify(spec.shape)} does not fit ${t.model}`);
      }
      tf.tidy(() => variable.assign(tf.tensor(values, spec.shape)));
      variables.delete(spec.name);
    }
  }
  if (variables.size > 0) throw new UserError(`${file}: no weights for ${[...variables.keys()].slice(0, 3).join(', ')}`);
  return { model, topology: t };
}
