import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { buildGraph } from '../../src/export/graph';
import { OPSET, toOnnxModel } from '../../src/export/onnx/onnx-model';
import { hasOnnxRuntime, onnxRuntime, ortFloat32 } from '../../src/export/onnx/runtime';
import { modelProto } from '../../src/export/onnx/schema';
import { exportSnippet } from './readme-snippets';
import { FAMILY_MODELS, familyModel, images, MEAN, relativeError, STD } from './families';

/** onnxruntime-node is an optional dependency: without it these tests say so and pass. */
const ready = hasOnnxRuntime();
if (!ready) console.log('skipped: onnxruntime-node is not installed (ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install onnxruntime-node)');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-onnx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function nchwOf(raw: tf.Tensor4D): { data: Float32Array; shape: number[] } {
  const t = tf.transpose(raw, [0, 3, 1, 2]);
  const out = { data: Float32Array.from(t.dataSync()), shape: t.shape };
  t.dispose();
  return out;
}

describe.each(FAMILY_MODELS.map((m) => [m.name, m] as const))('ONNX export of %s', (name, spec) => {
  test('ONNX Runtime runs it: same logits at batch 1 and 3 (dynamic batch), NCHW input in [0, 1]', async () => {
    if (!ready) return;
    await tf.setBackend('wasm');
    const ort = onnxRuntime();
    const model = familyModel(spec);
    const file = path.join(tmp, `${name}.onnx`);
    fs.writeFileSync(file, toOnnxModel(buildGraph(model), { mean: MEAN, std: STD }, 'sigmoid', { model: name }, 'test'));
    const decoded = modelProto().decode(fs.readFileSync(file)) as unknown as {
      opsetImport: { version: number }[];
      metadataProps: { key: string; value: string }[];
    };
    expect(Number(decoded.opsetImport[0].version)).toBe(OPSET);
    expect(decoded.metadataProps).toEqual([{ key: 'model', value: name }]);
    const session = await ort.InferenceSession.create(file);
    for (const batch of [1, 3]) {
      const { raw, normalized } = images(batch, spec.imageSize, batch + 10);
      const input = nchwOf(raw);
      const result = await session.run({ image: new ort.Tensor('float32', ortFloat32(input.data), input.shape) });
      const expected = model.forward(normalized);
      expect(result.logits.dims).toEqual([batch, 3]);
      expect(relativeError(result.logits.data as Float32Array, expected.dataSync())).toBeLessThan(1e-5);
      const sigmoid = tf.sigmoid(expected);
      expect(relativeError(result.probabilities.data as Float32Array, sigmoid.dataSync())).toBeLessThan(1e-5);
      tf.dispose([raw, normalized, expected, sigmoid]);
    }
    await session.release();
    model.dispose();
  });
});

test("the README's Node lines, in a plain Node process, give the model's probabilities", async () => {
  if (!ready) return;
  await tf.setBackend('wasm');
  const spec = FAMILY_MODELS[0];
  const model = familyModel(spec);
  const file = path.join(tmp, 'readme.onnx');
  fs.writeFileSync(file, toOnnxModel(buildGraph(model), { mean: MEAN, std: STD }, 'softmax', {}, 'test'));
  const { raw, normalized } = images(1, spec.imageSize, 21);
  const input = path.join(tmp, 'image.f32');
  fs.writeFileSync(input, Buffer.from(nchwOf(raw).data.buffer));
  const script = path.join(tmp, 'classify.js');
  const run = `const bytes = require('fs').readFileSync(process.argv[3]);\nclassify(process.argv[2], new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), ${spec.imageSize}).then((p) => console.log(JSON.stringify(p)));\n`;
  fs.writeFileSync(script, `${exportSnippet('js')}\n${run}`);
  const env = { ...process.env, NODE_PATH: path.resolve(__dirname, '..', '..', 'node_modules') };
  const out = execFileSync(process.execPath, [script, file, input], { env, encoding: 'utf8', timeout: 60000 });
  const expected = tf.softmax(model.forward(normalized));
  expect(relativeError(JSON.parse(out) as number[], expected.dataSync())).toBeLessThan(1e-5);
  tf.dispose([raw, normalized, expected]);
  model.dispose();
});
