import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { ClassifierModel, createModel } from '../../src/models';
import { loadWeights } from '../../src/models/load-weights';
import { ApplyStateDictReport } from '../../src/models/state';
import { readSafetensors, readSafetensorsMetadata } from '../../src/models/weights/safetensors';
import { FIXTURES_DIR } from '../helpers/shared';
import { relativeError } from '../helpers/numeric';

export interface FixtureRun {
  model: ClassifierModel;
  report: ApplyStateDictReport;
  /** timm's create_model kwargs the fixture was made with. */
  kwargs: Record<string, unknown>;
  errLogits: number;
  errPreLogits: number;
  /** Tensors alive after the forward passes minus before (0: nothing leaked). */
  leaked: number;
}

/**
 * Builds the fixture's timm model under its registered name (with `toArgs` translating timm's kwargs),
 * loads the fixture strictly and compares logits and pre-logits with the float64 reference.
 * The caller disposes `model`.
 */
export function runFixture(fixture: string, toArgs: (kwargs: Record<string, unknown>) => Record<string, unknown>): FixtureRun {
  const run = startFixture(fixture, toArgs);
  return run.finish(run.logits.dataSync(), run.pre.dataSync());
}

/** runFixture for backends that read tensors only asynchronously (webgpu). */
export async function runFixtureAsync(fixture: string, toArgs: (kwargs: Record<string, unknown>) => Record<string, unknown>): Promise<FixtureRun> {
  const run = startFixture(fixture, toArgs);
  return run.finish(await run.logits.data(), await run.pre.data());
}

/** Builds and loads the model and runs both forward passes; `finish` compares what was read back. */
function startFixture(fixture: string, toArgs: (kwargs: Record<string, unknown>) => Record<string, unknown>) {
  const weights = path.join(FIXTURES_DIR, `${fixture}.safetensors`);
  const meta = readSafetensorsMetadata(weights);
  const kwargs = JSON.parse(meta.timm_kwargs) as Record<string, unknown>;
  const io = readSafetensors(path.join(FIXTURES_DIR, `${fixture}.io.safetensors`));
  const input = io.get('input')!;
  const model = createModel(meta.timm_model, {
    numClasses: Number(meta.num_classes),
    imageSize: input.shape[2],
    initialize: false,
    args: toArgs(kwargs),
  });
  const report = loadWeights(model, weights, { strict: true });
  const before = tf.memory().numTensors;
  const x = tf.tidy(() =>
    tf.transpose(tf.tensor4d(input.data as Float32Array, input.shape as [number, number, number, number]), [0, 2, 3, 1]),
  ) as tf.Tensor4D;
  const logits = model.forward(x);
  const pre = model.preLogits(x);
  const finish = (logitValues: tf.TypedArray, preValues: tf.TypedArray): FixtureRun => {
    const errLogits = relativeError(logitValues, io.get('logits')!.data as Float32Array);
    const errPreLogits = relativeError(preValues, io.get('pre_logits')!.data as Float32Array);
    tf.dispose([x, logits, pre]);
    const leaked = tf.memory().numTensors - before;

    console.log(`${fixture}: logits rel err ${errLogits.toExponential(2)}, pre-logits ${errPreLogits.toExponential(2)}`);
    return { model, report, kwargs, errLogits, errPreLogits, leaked };
  };
  return { logits, pre, finish };
}
