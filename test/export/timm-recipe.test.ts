import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync, spawnSync } from 'child_process';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createModel } from '../../src/models';
import { bundleMetadata, parseBundle } from '../../src/models/bundle';
import { exportStateDict } from '../../src/models/state';
import { writeSafetensors } from '../../src/models/weights/safetensors';
import { timmRecipe } from '../../src/export/timm-recipe';
import { relativeError } from './families';
import { exportSnippet } from './readme-snippets';

const PYTHON = '/usr/bin/python3';
const TIMM = process.env.FUNDUS_TIMM_SRC ?? '/tmp/timm';
const SHIM = path.join(__dirname, 'python');

/** Why the timm check cannot run here, or null when it can. */
function missing(): string | null {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is absent`;
  if (spawnSync(PYTHON, ['-c', 'import torch'], { timeout: 60000 }).status !== 0) return 'torch is not installed for /usr/bin/python3';
  if (!fs.existsSync(path.join(TIMM, 'timm', '__init__.py'))) return `no timm source at ${TIMM} (set FUNDUS_TIMM_SRC)`;
  return null;
}
const why = missing();
if (why) console.log(`skipped: ${why}`);
const hasSafetensors = !why && spawnSync(PYTHON, ['-c', 'import safetensors'], { timeout: 60000 }).status === 0;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-timm-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CASES: { name: string; imageSize: number; args: Record<string, unknown>; kwargs: string }[] = [
  // A ViT at another size and depth: both must be in the recipe, or pos_embed and blocks do not load.
  { name: 'vit_tiny_patch16_224', imageSize: 48, args: { depth: 2 }, kwargs: 'num_classes=4, img_size=48, depth=2' },
  { name: 'efficientnet_b0', imageSize: 64, args: {}, kwargs: 'num_classes=4' },
  { name: 'resnet18', imageSize: 32, args: {}, kwargs: 'num_classes=4' },
];

describe.each(CASES.map((c) => [c.name, c] as const))('the printed timm recipe for %s', (name, c) => {
  test("runs as printed with torch and timm, and gives fundus-train's logits", async () => {
    if (why) return;
    await tf.setBackend('wasm');
    const model = createModel(name, { numClasses: 4, imageSize: c.imageSize, args: c.args, seed: 3 });
    const config = {
      model: { name, args: c.args },
      data: { normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, preprocess: null },
      eval: { threshold: 0.5 as const },
      train: { loss: 'auto' },
    };
    const metadata = bundleMetadata(model, config, { classes: ['a', 'b', 'c', 'd'], task: 'multiclass' }, 'hash');
    const file = path.join(tmp, `${name}.safetensors`);
    writeSafetensors(file, await exportStateDict(model), { format: 'pt', ...metadata });
    const recipe = timmRecipe(parseBundle(metadata, file), file);
    expect(recipe).toContain(`timm.create_model('${name}', ${c.kwargs})`);
    const x = tf.randomNormal([2, c.imageSize, c.imageSize, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const nchw = tf.transpose(x, [0, 3, 1, 2]);
    const input = path.join(tmp, `${name}.f32`);
    fs.writeFileSync(input, Buffer.from((nchw.dataSync() as Float32Array).slice().buffer));
    // Exactly the printed lines, then three that run the model on the same input.
    const script = `${recipe}\nimport sys, json, torch\nx = torch.frombuffer(bytearray(open(sys.argv[1], 'rb').read()), dtype=torch.float32).reshape(2, 3, ${c.imageSize}, ${c.imageSize})\nwith torch.no_grad(): print(json.dumps(model(x).flatten().tolist()))\n`;
    const env = { ...process.env, PYTHONPATH: [TIMM, ...(hasSafetensors ? [] : [SHIM])].join(path.delimiter) };
    const out = execFileSync(PYTHON, ['-c', script, input], { env, encoding: 'utf8', timeout: 300000 });
    const expected = model.forward(x);
    expect(relativeError(JSON.parse(out.trim().split('\n').pop()!) as number[], expected.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, nchw, expected]);
    model.dispose();
  });
});

test("the README's Python lines are the recipe export prints for a ViT trained at 48 px with 2 blocks", async () => {
  await tf.setBackend('wasm');
  const model = createModel('vit_tiny_patch16_224', { numClasses: 4, imageSize: 48, args: { depth: 2 }, initialize: false });
  const config = {
    model: { name: 'vit_tiny_patch16_224', args: { depth: 2 } },
    data: { normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, preprocess: null },
    eval: { threshold: 0.5 as const },
    train: { loss: 'auto' },
  };
  const bundle = parseBundle(bundleMetadata(model, config, { classes: ['a', 'b', 'c', 'd'], task: 'multiclass' }, 'hash'), 'x');
  expect(timmRecipe(bundle, '/path/to/model.safetensors')).toBe(exportSnippet('python'));
  model.dispose();
});

test('architecture arguments timm has no kwarg for are named in a comment of the recipe', async () => {
  await tf.setBackend('wasm');
  const model = createModel('vgg16', { numClasses: 2, imageSize: 32, args: { mlpHidden: 32 }, initialize: false });
  const config = {
    model: { name: 'vgg16', args: { mlpHidden: 32 } },
    data: { normalize: { mean: [0, 0, 0], std: [1, 1, 1] }, preprocess: null },
    eval: { threshold: 0.5 as const },
    train: { loss: 'auto' },
  };
  const recipe = timmRecipe(parseBundle(bundleMetadata(model, config, { classes: ['a', 'b'], task: 'binary' }, 'h'), 'x'), 'm.safetensors');
  expect(recipe.split('\n')[0]).toMatch(/^# mlpHidden: fundus-train arguments timm's vgg16 has no kwarg for/);
  expect(recipe).toContain("timm.create_model('vgg16', num_classes=2)");
  model.dispose();
});
