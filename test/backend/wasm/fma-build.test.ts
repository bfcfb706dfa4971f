import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

// The native module comes in two builds (kernels-binary.ts): matrix products with relaxed SIMD's fused
// multiply-add, and plain SIMD for runtimes without relaxed SIMD or FUNDUS_WASM_FMA=0. The build is chosen
// once per process, so each is checked in a process of its own: a product and a convolution against cpu.
// Needs dist/ (npm run build).

const ROOT = path.resolve(__dirname, '..', '..', '..');
const HAVE_BUILD = fs.existsSync(path.join(ROOT, 'dist', 'src', 'backend', 'select.js'));
const maybe = HAVE_BUILD ? describe : describe.skip;
if (!HAVE_BUILD) console.log('skipping the fma/plain build tests: dist/ is absent (npm run build)');

const PROBE = `
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { initBackend, describeBackend } = require('./dist/src/backend/select');
(async () => {
  const a = tf.randomNormal([3, 70, 300], 0, 1, 'float32', 1).arraySync();
  const b = tf.randomNormal([3, 90, 300], 0, 1, 'float32', 2).arraySync();
  const x = tf.randomNormal([2, 15, 13, 24], 0, 1, 'float32', 3).arraySync();
  const w = tf.randomNormal([3, 3, 24, 40], 0, 1, 'float32', 4).arraySync();
  const run = () => [tf.matMul(tf.tensor(a), tf.tensor(b), false, true), tf.conv2d(tf.tensor(x), tf.tensor(w), 2, 'same')].map((t) => t.dataSync());
  const info = await initBackend('wasm');
  const fma = (await describeBackend(info)).wasm.fma;
  const wasm = run();
  await tf.setBackend('cpu');
  const cpu = run();
  const rel = (p, q) => { let d = 0, n = 0; for (let i = 0; i < p.length; i++) { d += (p[i] - q[i]) ** 2; n += q[i] ** 2; } return Math.sqrt(d / n); };
  process.stdout.write(JSON.stringify({ fma, product: rel(wasm[0], cpu[0]), conv: rel(wasm[1], cpu[1]) }));
})();
`;

function probe(env: Record<string, string>): { fma: boolean; product: number; conv: number } {
  const out = execFileSync(process.execPath, ['-e', PROBE], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(out) as { fma: boolean; product: number; conv: number };
}

maybe('native kernel builds', () => {
  test.each([
    ['the fused multiply-add build, by default', { FUNDUS_WASM_FMA: '1' }, true],
    ['the plain-SIMD build with FUNDUS_WASM_FMA=0', { FUNDUS_WASM_FMA: '0' }, false],
  ])('%s: loads and matches cpu', (_, env, fma) => {
    const r = probe(env);
    expect(r.fma).toBe(fma);
    expect(r.product).toBeLessThan(1e-6);
    expect(r.conv).toBeLessThan(1e-6);
  });
});
