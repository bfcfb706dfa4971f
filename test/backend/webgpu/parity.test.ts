import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, releaseBackend } from '../../../src/backend/select';
import { describeIfExists, FIXTURES_DIR } from '../../helpers/shared';
import { runFixtureAsync } from '../../models/fixture-parity';
import { describeIfAdapter } from './adapter';

/** timm create_model kwargs the fixtures use -> our architecture arguments (img_size comes from the input). */
function timmKwargsToArgs(kwargs: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const key of ['depth', 'depths', 'layers']) if (kwargs[key] !== undefined) args[key] = kwargs[key];
  return args;
}

const all = fs.existsSync(FIXTURES_DIR)
  ? fs
      .readdirSync(FIXTURES_DIR)
      .filter((f) => f.endsWith('.io.safetensors'))
      .map((f) => f.replace(/\.io\.safetensors$/, ''))
      .sort()
  : [];

/**
 * On a software adapter (SwiftShader, 2 cores) a fixture takes 20 s to 2.5 min and all of them 6 to 8
 * min, so a plain `npm test` runs only one. CI (.ci/run) sets FUNDUS_WEBGPU_FULL_PARITY=1 and runs
 * every fixture: scripts/test-webgpu.js starts a jest process per fixture, named in
 * FUNDUS_WEBGPU_FIXTURE, so that a crashed process is retried for that fixture alone.
 */
const FAST_ON_SOFTWARE = ['vit_small_patch14_dinov2_d2'];
const full = process.env.FUNDUS_WEBGPU_FULL_PARITY === '1';
const only = process.env.FUNDUS_WEBGPU_FIXTURE || undefined;
if (only != null && all.length > 0 && !all.includes(only)) {
  throw new Error(`FUNDUS_WEBGPU_FIXTURE=${only} is not a fixture in ${FIXTURES_DIR} (there: ${all.join(', ')})`);
}
const fixtures = only != null ? all.filter((f) => f === only) : full ? all : all.filter((f) => FAST_ON_SOFTWARE.includes(f));
if (only == null && !full && all.length > fixtures.length) {
  console.log(
    `webgpu parity: skipping ${all.filter((f) => !fixtures.includes(f)).join(', ')} (up to minutes each on a software adapter; FUNDUS_WEBGPU_FULL_PARITY=1 runs them, as CI does)`,
  );
}

describeIfExists(FIXTURES_DIR)('parity with timm reference outputs on webgpu', () => {
  describeIfAdapter()('every fixture (full size, batch 2)', () => {
    beforeAll(async () => {
      await initBackend('webgpu');
    });
    afterAll(() => releaseBackend());

    test.each(fixtures)(
      '%s: logits and pre-logits within 1e-4 relative, no leak',
      async (fixture) => {
        expect(tf.getBackend()).toBe('webgpu');
        const run = await runFixtureAsync(fixture, timmKwargsToArgs);
        expect(run.report.missing).toEqual([]);
        expect(run.report.mismatched).toEqual([]);
        expect(run.errLogits).toBeLessThan(1e-4);
        expect(run.errPreLogits).toBeLessThan(1e-4);
        expect(run.leaked).toBe(0);
        run.model.dispose();
      },
      600_000,
    );
  });
});
