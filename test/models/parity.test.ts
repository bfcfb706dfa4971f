import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createModel, listModels } from '../../src/models';
import { loadWeights } from '../../src/models/load-weights';
import { readSafetensors, readSafetensorsMetadata } from '../../src/models/weights/safetensors';
import { describeIfExists, FIXTURES_DIR } from '../helpers/shared';

/** ‖a − b‖ / ‖b‖ */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const FIXTURES = ['vit_tiny_patch16_224', 'vit_small_patch14_dinov2_d2', 'efficientnet_b0', 'tf_efficientnet_b0'];

describeIfExists(FIXTURES_DIR)('parity with timm reference outputs (wasm, float32)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  test.each(FIXTURES)('%s: logits and pre-logits within 1e-4 relative', (fixture) => {
    const weights = path.join(FIXTURES_DIR, `${fixture}.safetensors`);
    const meta = readSafetensorsMetadata(weights);
    const kwargs = JSON.parse(meta.timm_kwargs) as { img_size?: number; depth?: number };
    const io = readSafetensors(path.join(FIXTURES_DIR, `${fixture}.io.safetensors`));
    const input = io.get('input')!;
    expect(listModels()).toContain(meta.timm_model);
    const model = createModel(meta.timm_model, {
      numClasses: Number(meta.num_classes),
      imageSize: input.shape[2],
      initialize: false,
      args: kwargs.depth ? { depth: kwargs.depth } : {},
    });
    const report = loadWeights(model, weights, { strict: true });
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.replacedClassifier).toBeNull();
    const before = tf.memory().numTensors;
    const x = tf.tidy(() => tf.transpose(tf.tensor(input.data as Float32Array, input.shape), [0, 2, 3, 1])) as tf.Tensor4D;
    const logits = model.forward(x);
    const pre = model.preLogits(x);
    const errLogits = relativeError(logits.dataSync(), io.get('logits')!.data as Float32Array);
    const errPre = relativeError(pre.dataSync(), io.get('pre_logits')!.data as Float32Array);
    // eslint-disable-next-line no-console
    console.log(`${fixture}: logits rel err ${errLogits.toExponential(2)}, pre-logits ${errPre.toExponential(2)}`);
    expect(errLogits).toBeLessThan(1e-4);
    expect(errPre).toBeLessThan(1e-4);
    tf.dispose([x, logits, pre]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
