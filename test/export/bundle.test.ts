import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadPredictor } from '../../src/predict/predictor';
import { predictFiles } from '../../src/predict/predict';
import { readSafetensorsMetadata, writeSafetensors } from '../../src/models/weights/safetensors';
import { readSafetensors } from '../../src/models/weights/safetensors';
import { modelProto } from '../../src/export/onnx/schema';
import { hasOnnxRuntime } from '../../src/export/onnx/runtime';
import { cli } from '../helpers/cli';
import { startServer } from '../../src/serve/server';
import { TINY_CNN, trainTinyRun, writeFundus } from '../predict/tiny-runs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-bundle-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let run: string;
let photo: string;

const BUNDLE_KEYS = [
  'fundus_train_version',
  'model',
  'model_args',
  'classes',
  'task',
  'output',
  'thresholds',
  'image_size',
  'resize',
  'normalize',
  'preprocess',
  'config_hash',
  'config',
];

beforeAll(async () => {
  // Multi-label with a preprocess step: the output function, thresholds and preprocessing must all travel.
  run = await trainTinyRun(path.join(tmp, 'run'), 'multilabel', TINY_CNN, {
    data: { preprocess: { fovCrop: true, clahe: true } },
    eval: { threshold: 0.4 },
  });
  photo = await writeFundus(path.join(tmp, 'photo.png'), 3, 80, 60);
});

test('a checkpoint directory carries the bundle metadata', () => {
  const meta = readSafetensorsMetadata(path.join(run, 'checkpoints', 'best', 'model.safetensors'));
  for (const key of BUNDLE_KEYS) expect(meta[key]).toBeDefined();
  expect(meta.output).toBe('sigmoid');
  expect(JSON.parse(meta.thresholds)).toEqual([0.4, 0.4, 0.4, 0.4]);
  expect(JSON.parse(meta.preprocess).clahe).not.toBeNull();
});

test('predict gives the same probabilities from a run, a moved checkpoint, and safetensors, tfjs and ONNX exports', async () => {
  const moved = path.join(tmp, 'elsewhere', 'best');
  fs.mkdirSync(path.dirname(moved), { recursive: true });
  fs.cpSync(path.join(run, 'checkpoints', 'best'), moved, { recursive: true });
  const exports: Record<string, string> = {
    safetensors: path.join(tmp, 'out', 'model.safetensors'),
    tfjs: path.join(tmp, 'out', 'tfjs'),
    onnx: path.join(tmp, 'out', 'model.onnx'),
  };
  for (const [format, out] of Object.entries(exports)) {
    const r = await cli(['export', '--run', run, '--format', format, '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }
  const tfjsMeta = JSON.parse(fs.readFileSync(path.join(exports.tfjs, 'model.json'), 'utf8')).userDefinedMetadata;
  const onnxProps = (modelProto().decode(fs.readFileSync(exports.onnx)) as unknown as { metadataProps: { key: string }[] }).metadataProps.map(
    (p) => p.key,
  );
  for (const key of BUNDLE_KEYS) {
    expect(readSafetensorsMetadata(exports.safetensors)[key]).toBeDefined();
    expect(tfjsMeta[key]).toBeDefined();
    expect(onnxProps).toContain(key);
  }
  const sources: [string, { run?: string; checkpoint?: string }][] = [
    ['run', { run }],
    ['moved checkpoint', { checkpoint: moved }],
    ['safetensors', { checkpoint: exports.safetensors }],
    ['tfjs', { checkpoint: exports.tfjs }],
  ];
  if (hasOnnxRuntime()) sources.push(['onnx', { checkpoint: exports.onnx }]);
  else console.log('skipped the ONNX export: onnxruntime-node is not installed');
  const results: Record<string, number[]> = {};
  for (const [name, options] of sources) {
    const predictor = await loadPredictor(options);
    const [r] = await predictFiles(predictor, [photo], { tta: true });
    predictor.model.dispose();
    if (!r.ok) throw new Error(`${name}: ${r.error}`);
    expect(predictor.thresholds).toEqual([0.4, 0.4, 0.4, 0.4]);
    expect(predictor.config.data.preprocess.clahe).not.toBeNull();
    results[name] = r.probabilities;
  }
  for (const p of Object.values(results)) p.forEach((v, i) => expect(Math.abs(v - results.run[i])).toBeLessThan(1e-5));
  expect(Object.keys(results)).toEqual(sources.map(([name]) => name));

  // serve takes the exports too (no heatmaps from them: they hold no feature maps); it predicts without TTA.
  const own = await loadPredictor({ run });
  const [plain] = await predictFiles(own, [photo]);
  own.model.dispose();
  if (!plain.ok) throw new Error(plain.error);
  for (const [name, options] of sources.slice(3)) {
    const server = await startServer({ ...options, port: 0, log: () => undefined });
    try {
      const body = new FormData();
      body.append('right', new Blob([new Uint8Array(fs.readFileSync(photo))], { type: 'image/png' }), 'photo.png');
      const r = await fetch(`${server.url}/api/predict`, { method: 'POST', body });
      expect(r.status).toBe(200);
      const json = (await r.json()) as { eyes: { probabilities: Record<string, number>; heatmap?: unknown }[] };
      expect(json.eyes[0].heatmap).toBeUndefined();
      const served = Object.values(json.eyes[0].probabilities);
      served.forEach((v, i) => expect(Math.abs(v - plain.probabilities[i])).toBeLessThan(1e-5));
      expect(name).toMatch(/tfjs|onnx/);
    } finally {
      await server.close();
    }
  }
});

test('exporting a foreign file or an unregistered model is a one-line error, exit 2', async () => {
  const src = path.join(run, 'checkpoints', 'best', 'model.safetensors');
  const foreign = path.join(tmp, 'foreign.safetensors');
  writeSafetensors(foreign, readSafetensors(src), { format: 'pt' });
  let r = await cli(['export', '--checkpoint', foreign, '--format', 'onnx', '--out', path.join(tmp, 'x.onnx')]);
  expect(r.code).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/foreign\.safetensors: no "classes" in its metadata/);
  const unknown = path.join(tmp, 'unknown.safetensors');
  const meta = readSafetensorsMetadata(src);
  writeSafetensors(unknown, readSafetensors(src), {
    ...meta,
    model: 'efficientnet_b9',
    config: JSON.stringify({ ...JSON.parse(meta.config), model: { ...JSON.parse(meta.config).model, name: 'efficientnet_b9' } }),
  });
  r = await cli(['export', '--checkpoint', unknown, '--format', 'tfjs', '--out', path.join(tmp, 'y')]);
  expect(r.code).toBe(2);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/efficientnet_b9/);
});
