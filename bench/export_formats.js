#!/usr/bin/env node
// File size and inference time per image of each export format, measured in one sitting:
// fundus-train itself (wasm backend, its kernels on), the tfjs GraphModel export (stock tfjs-converter on
// tfjs's wasm backend, fundus-train's kernels off) and the ONNX export (ONNX Runtime, CPU provider).
// Also prints each export's largest probability difference from fundus-train's (relative to the largest).
// Needs the build (npm run build) and onnxruntime-node. Random weights (sizes and times do not depend on them).
//   node bench/export_formats.js [--models efficientnet_b0,vit_base_patch16_224] [--runs 10] [--threads 2] [--json FILE]
const fs = require('fs');
const os = require('os');
const path = require('path');

const dist = path.resolve(__dirname, '..', 'dist', 'src');
const tf = require('@tensorflow/tfjs-core');
const { loadGraphModel } = require('@tensorflow/tfjs-converter');
const { initBackend } = require(path.join(dist, 'backend', 'select'));
const { setOptimizationsEnabled } = require(path.join(dist, 'backend', 'optimizations'));
const { createModel } = require(path.join(dist, 'models'));
const { exportModel } = require(path.join(dist, 'export', 'export-model'));
const { graphModelFromDir } = require(path.join(dist, 'export', 'tfjs-graph-model'));
const { onnxRuntime, ortFloat32 } = require(path.join(dist, 'export', 'onnx', 'runtime'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const MODELS = arg('models', 'efficientnet_b0,vit_base_patch16_224').split(',');
const RUNS = Number(arg('runs', '10'));
const THREADS = Number(arg('threads', '2'));
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bytes = (p) =>
  fs.statSync(p).isDirectory() ? fs.readdirSync(p).reduce((n, f) => n + fs.statSync(path.join(p, f)).size, 0) : fs.statSync(p).size;

/** Median seconds of `run` over RUNS calls after 2 untimed ones. */
async function time(run) {
  for (let i = 0; i < 2; i++) await run();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(times);
}

async function main() {
  const ort = onnxRuntime();
  const backend = await initBackend('wasm');
  const rows = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-export-bench-'));
  try {
    for (const name of MODELS) {
      const model = createModel(name, { numClasses: 5, seed: 0 });
      const S = model.imageSize;
      const config = {
        backend: 'wasm',
        model: { name, args: {} },
        data: { normalize: { mean: MEAN, std: STD }, preprocess: null },
        eval: { threshold: 0.5 },
        train: { loss: 'auto' },
      };
      const bundle = {
        model: name,
        modelArgs: {},
        classes: ['a', 'b', 'c', 'd', 'e'],
        task: 'multiclass',
        output: 'softmax',
        thresholds: [0.5, 0.5, 0.5, 0.5, 0.5],
        imageSize: S,
        normalize: { mean: MEAN, std: STD },
        config,
        metadata: { model: name },
      };
      const source = { model, bundle, config, weights: '', runDir: null };
      const out = {
        safetensors: path.join(tmp, `${name}.safetensors`),
        'tfjs-graph': path.join(tmp, `${name}-tfjs`),
        onnx: path.join(tmp, `${name}.onnx`),
      };
      for (const [format, file] of Object.entries(out)) await exportModel(source, format, file);

      const raw = tf.randomUniform([1, S, S, 3], 0, 1, 'float32', 1);
      const normalized = tf.div(tf.sub(raw, tf.tensor1d(MEAN)), tf.tensor1d(STD));
      const reference = model.forward(normalized);
      const expected = Array.from(await tf.softmax(reference).data());
      reference.dispose();
      const relErr = (p) => Math.max(...p.map((v, i) => Math.abs(v - expected[i]))) / Math.max(...expected.map(Math.abs));
      const own = await time(async () => {
        const y = model.forward(normalized);
        await y.data();
        y.dispose();
      });

      // The GraphModel runs stock tfjs kernels, as a browser would (wasm there too).
      const previous = setOptimizationsEnabled(false);
      const graph = await loadGraphModel(graphModelFromDir(out['tfjs-graph']));
      const graphP = graph.execute(raw, 'probabilities');
      const tfjsError = relErr(Array.from(await graphP.data()));
      graphP.dispose();
      const tfjs = await time(async () => {
        const y = graph.execute(raw, 'probabilities');
        await y.data();
        y.dispose();
      });
      graph.dispose();
      setOptimizationsEnabled(previous);

      const session = await ort.InferenceSession.create(out.onnx, { intraOpNumThreads: THREADS, interOpNumThreads: 1, executionProviders: ['cpu'] });
      const nchw = tf.transpose(raw, [0, 3, 1, 2]);
      const input = new ort.Tensor('float32', ortFloat32(nchw.dataSync()), [1, 3, S, S]);
      const onnxError = relErr(Array.from((await session.run({ image: input })).probabilities.data));
      const onnx = await time(() => session.run({ image: input }));
      await session.release();
      tf.dispose([raw, normalized, nchw]);
      model.dispose();

      rows.push({
        model: name,
        imageSize: S,
        format: 'fundus-train (wasm)',
        file: 'safetensors',
        bytes: bytes(out.safetensors),
        secondsPerImage: own,
      });
      rows.push({
        model: name,
        imageSize: S,
        format: 'tfjs GraphModel (tfjs wasm)',
        file: 'model.json + shards',
        bytes: bytes(out['tfjs-graph']),
        secondsPerImage: tfjs,
        probabilityError: tfjsError,
      });
      rows.push({
        model: name,
        imageSize: S,
        format: 'ONNX Runtime (CPU)',
        file: '.onnx',
        bytes: bytes(out.onnx),
        secondsPerImage: onnx,
        probabilityError: onnxError,
      });
      for (const f of Object.values(out)) fs.rmSync(f, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const meta = {
    date: new Date().toISOString(),
    backend: backend.message,
    threads: THREADS,
    runs: RUNS,
    cpus: os.cpus().length,
    loadavg: os.loadavg(),
  };
  const json = arg('json', null);
  if (json) fs.writeFileSync(json, JSON.stringify({ meta, rows }, null, 2));
  console.log(
    `| model (batch 1) | runtime | file | size | time per image | probabilities vs fundus-train |\n| --- | --- | --- | ---: | ---: | ---: |`,
  );
  for (const r of rows)
    console.log(
      `| ${r.model} (${r.imageSize} px) | ${r.format} | ${r.file} | ${(r.bytes / 2 ** 20).toFixed(1)} MiB | ${(r.secondsPerImage * 1000).toFixed(0)} ms | ${r.probabilityError === undefined ? '' : r.probabilityError.toExponential(1)} |`,
    );
  console.log(`load average ${meta.loadavg.map((l) => l.toFixed(1)).join(' ')} on ${meta.cpus} CPUs; ${RUNS} timed runs (median) after 2 untimed`);
}

main().catch((e) => {
  console.error(e.stack || e);
  process.exit(1);
});
