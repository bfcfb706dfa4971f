#!/usr/bin/env node
// The wasm side of bench/ceiling.py: single operations timed on the backend fundus-train trains on (its
// native matrix kernel on its threads; side 'wasm') and through the shipped tfjs-wasm kernel it replaces
// (XNNPACK on tfjs's threads; side 'xnnpack'), one JSON line each. Needs the build (npm run build).
//   node bench/ceiling-wasm.js [--reps 5]
const path = require('path');

const dist = path.resolve(__dirname, '..', 'dist', 'src');
const tf = require('@tensorflow/tfjs-core');
const { initBackend } = require(path.join(dist, 'backend', 'select'));

const i = process.argv.indexOf('--reps');
const REPS = i >= 0 ? Number(process.argv[i + 1]) : 5;

/** Median seconds of `f` over REPS runs after one warm-up; `f` reads its result back (the work is done). */
function median(f) {
  f();
  const seconds = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint();
    f();
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  seconds.sort((a, b) => a - b);
  return seconds[Math.floor(seconds.length / 2)];
}

/** The kernel tfjs-backend-wasm ships for `name`, which fundus-train's override keeps (kernel-registration.ts). */
function shipped(name, inputs, attrs) {
  const kernel = tf.getKernel(name, 'wasm').kernelFunc.shipped;
  const info = kernel.kernelFunc({ inputs, backend: tf.backend(), attrs });
  return tf.engine().makeTensorFromTensorInfo(info);
}

async function main() {
  await initBackend('wasm');
  const ops = [];
  for (const n of [1024, 2048]) {
    const a = tf.randomNormal([n, n]);
    const b = tf.randomNormal([n, n]);
    ops.push({
      op: `matmul ${n}x${n}x${n}`,
      flops: 2 * n ** 3,
      run: () => tf.matMul(a, b),
      shipped: () => shipped(tf.BatchMatMul, { a: tf.reshape(a, [1, n, n]), b: tf.reshape(b, [1, n, n]) }, { transposeA: false, transposeB: false }),
      keep: [a, b],
    });
  }
  // A ResNet-50 layer1 3x3 convolution and a 1x1 one, batch 8, NHWC here (NCHW in PyTorch).
  const conv = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  const x3 = tf.randomNormal([8, 56, 56, 64]);
  const w3 = tf.randomNormal([3, 3, 64, 64]);
  ops.push({
    op: 'conv3x3 8x56x56 64->64',
    flops: 2 * 8 * 56 * 56 * 64 * 64 * 9,
    run: () => tf.conv2d(x3, w3, 1, 'same'),
    shipped: () => shipped(tf.Conv2D, { x: x3, filter: w3 }, conv),
    keep: [x3, w3],
  });
  const x1 = tf.randomNormal([8, 56, 56, 256]);
  const w1 = tf.randomNormal([1, 1, 256, 64]);
  ops.push({
    op: 'conv1x1 8x56x56 256->64',
    flops: 2 * 8 * 56 * 56 * 256 * 64,
    run: () => tf.conv2d(x1, w1, 1, 'same'),
    shipped: () => shipped(tf.Conv2D, { x: x1, filter: w1 }, conv),
    keep: [x1, w1],
  });
  for (const o of ops) {
    for (const [side, run] of [
      ['wasm', o.run],
      ['xnnpack', o.shipped],
    ]) {
      const s = median(() => {
        const y = tf.tidy(run);
        y.dataSync();
        y.dispose();
      });
      process.stdout.write(`${JSON.stringify({ side, op: o.op, seconds: s, gflops: o.flops / s / 1e9 })}\n`);
    }
    tf.dispose(o.keep);
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
