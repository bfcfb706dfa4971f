import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel, createModel, ModelOptions } from '../../../src/models';
import { loadWeights } from '../../../src/models/load-weights';
import { ApplyStateDictReport, exportStateDict } from '../../../src/models/state';
import { writeSafetensors } from '../../../src/models/weights/safetensors';
import { HostTensor, StateDict } from '../../../src/models/weights/tensor';

/** Every variable redrawn (seeded), so that a tensor loaded into the wrong place cannot go unnoticed. */
export function randomize(model: ClassifierModel, seed: number): void {
  model.namedVariables().forEach((v, i) => {
    tf.tidy(() => v.variable.assign(tf.randomNormal(v.variable.shape, 0, 0.5, 'float32', seed + i)));
  });
}

/** Rows [start, start + count) of a tensor (torch's t[start:start+count]). */
export function rows(t: HostTensor, start: number, count: number): HostTensor {
  const width = t.data.length / t.shape[0];
  return { dtype: 'float32', shape: [count, ...t.shape.slice(1)], data: (t.data as Float32Array).slice(start * width, (start + count) * width) };
}

/** timm's fused qkv (weight or bias) as separate query, key and value tensors. */
export function splitQkv(t: HostTensor): [HostTensor, HostTensor, HostTensor] {
  const d = t.shape[0] / 3;
  return [rows(t, 0, d), rows(t, d, d), rows(t, 2 * d, d)];
}

const tempDirs: string[] = [];

/** Deletes the files roundTrip wrote (call from afterAll). */
export function removeTempFiles(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export interface RoundTrip {
  source: ClassifierModel;
  target: ClassifierModel;
  report: ApplyStateDictReport;
  file: string;
}

/**
 * Builds `name` twice with different seeds, randomises the first, exports its timm state dict, renames it
 * with `toOtherScheme` into a safetensors file and loads that file into the second model with strict names.
 */
export async function roundTrip(name: string, options: ModelOptions, toOtherScheme: (timm: StateDict) => StateDict): Promise<RoundTrip> {
  const source = createModel(name, { ...options, seed: 1 });
  randomize(source, 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'name-map-'));
  tempDirs.push(dir);
  const file = path.join(dir, 'model.safetensors');
  writeSafetensors(file, toOtherScheme(await exportStateDict(source)));
  const target = createModel(name, { ...options, seed: 2 });
  const report = loadWeights(target, file, { strict: true });
  return { source, target, report, file };
}

/** Largest difference between the two models' variables of the same name, and between their outputs. */
export function compareModels(a: ClassifierModel, b: ClassifierModel, imageSize: number): { weights: number; outputs: number } {
  const bv = new Map(b.namedVariables().map((v) => [v.name, v.variable]));
  let weights = 0;
  for (const v of a.namedVariables()) {
    const other = bv.get(v.name)!;
    weights = Math.max(
      weights,
      tf.tidy(() => tf.max(tf.abs(tf.sub(v.variable, other))).dataSync()[0]),
    );
  }
  const x = tf.randomNormal([2, imageSize, imageSize, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const outputs = tf.tidy(() => tf.max(tf.abs(tf.sub(a.forward(x), b.forward(x)))).dataSync()[0]);
  x.dispose();
  return { weights, outputs };
}
