import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describeIfExists, FIXTURES_DIR } from '../helpers/shared';
import { runFixture } from './fixture-parity';

/** timm create_model kwargs the fixtures use -> our architecture arguments (img_size comes from the input). */
function timmKwargsToArgs(kwargs: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const key of ['depth', 'depths', 'layers']) if (kwargs[key] !== undefined) args[key] = kwargs[key];
  return args;
}

const fixtures = fs.existsSync(FIXTURES_DIR)
  ? fs
      .readdirSync(FIXTURES_DIR)
      .filter((f) => f.endsWith('.io.safetensors'))
      .map((f) => f.replace(/\.io\.safetensors$/, ''))
      .sort()
  : [];

describeIfExists(FIXTURES_DIR)('parity with timm reference outputs (wasm, float32)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  test('every family with a fixture is covered', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining([
        'efficientnet_b0',
        'tf_efficientnet_b0',
        'vit_tiny_patch16_224',
        'vit_small_patch14_dinov2_d2',
        'swinv2_tiny_window8_256_d1',
        'resnet50_l1',
        'densenet121',
      ]),
    );
  });

  test.each(fixtures)('%s loads strictly; logits and pre-logits within 1e-5 relative', (fixture) => {
    const run = runFixture(fixture, timmKwargsToArgs);
    expect(run.report.missing).toEqual([]);
    expect(run.report.unexpected).toEqual([]);
    expect(run.report.mismatched).toEqual([]);
    expect(run.report.replacedClassifier).toBeNull();
    expect(run.errLogits).toBeLessThan(1e-5);
    expect(run.errPreLogits).toBeLessThan(1e-5);
    expect(run.leaked).toBe(0);
    run.model.dispose();
  });
});
