import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { experimentConfigSchema } from '../../src/config/schema';
import { train } from '../../src/train/trainer';
import { paramGroups } from '../../src/train/param-groups';
import { createModel } from '../../src/models';
import { exportStateDict } from '../../src/models/state';
import { readSafetensors } from '../../src/models/weights/safetensors';
import { initBackend } from '../../src/backend/select';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-strategy-'));
const MODEL = { name: 'test_vit', imageSize: 32, args: { depth: 2, embedDim: 32, numHeads: 2, patchSize: 8 } };
const CNN = {
  name: 'test_efficientnet',
  imageSize: 32,
  args: { headChannels: 32, stages: [{ block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 2, channels: 16, seRatio: 0.25 }] },
};

function config(train: Record<string, unknown>, model: typeof MODEL | typeof CNN = MODEL) {
  return experimentConfigSchema.parse({
    name: 'strategy',
    seed: 11,
    backend: 'wasm',
    data: { source: 'synthetic', task: 'glaucoma', count: 32, renderSize: 32, split: { val: 0.25, test: 0 } },
    model,
    train: { batchSize: 8, optimizer: { lr: 0.01 }, scheduler: { name: 'none' }, ...train },
    eval: { bootstrap: 0 },
  });
}

beforeAll(async () => {
  await initBackend('wasm');
});

describe('transfer strategies', () => {
  test('linear-probe trains only the classifier; backbone weights and batch-norm statistics stay as they were', async () => {
    const out = path.join(tmp, 'lp');
    await train({ config: config({ strategy: 'linear-probe', epochs: 2 }, CNN), outDir: out });
    const initial = await exportStateDict(createModel(CNN.name, { numClasses: 2, imageSize: 32, seed: 11, args: CNN.args }));
    expect([...initial.keys()].filter((k) => k.endsWith('running_mean')).length).toBeGreaterThan(3);
    const trained = readSafetensors(path.join(out, 'checkpoints', 'last', 'model.safetensors'));
    let changedHead = 0;
    for (const [name, t] of initial) {
      const same =
        Buffer.compare(
          Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
          Buffer.from(trained.get(name)!.data.buffer, trained.get(name)!.data.byteOffset, trained.get(name)!.data.byteLength),
        ) === 0;
      if (name.startsWith('classifier.')) changedHead += same ? 0 : 1;
      else expect([name, same]).toEqual([name, true]);
    }
    expect(changedHead).toBe(2);
    const phases = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).phase);
    expect(phases).toEqual(['linear-probe', 'linear-probe']);
  });

  test('lp-ft probes for lpEpochs, then fine-tunes everything at lr · ftLrScale, phases named in metrics.jsonl', async () => {
    const out = path.join(tmp, 'lpft');
    await train({ config: config({ strategy: 'lp-ft', lpEpochs: 1, epochs: 3, ftLrScale: 0.1 }), outDir: out });
    const records = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((r) => r.phase)).toEqual(['linear-probe', 'finetune', 'finetune']);
    expect(records.map((r) => r.lr)).toEqual([0.01, 0.001, 0.001]);
    const trained = readSafetensors(path.join(out, 'checkpoints', 'last', 'model.safetensors'));
    const initial = await exportStateDict(createModel('test_vit', { numClasses: 2, imageSize: 32, seed: 11, args: MODEL.args }));
    const w = (d: typeof trained) => Array.from(d.get('blocks.0.attn.qkv.weight')!.data as Float32Array).slice(0, 8);
    expect(w(trained)).not.toEqual(w(initial));
  });
});

describe('layer-wise learning-rate decay (ViT)', () => {
  test('embeddings get decay^(depth+1), block i decay^(depth-i), head 1', () => {
    const model = createModel('test_vit', { numClasses: 2, imageSize: 32, args: { depth: 3, embedDim: 16, numHeads: 2, patchSize: 8 } });
    const groups = new Map(paramGroups(model, { classifierOnly: false, layerDecay: 0.5 }).map((g) => [g.name, g]));
    expect(groups.get('pos_embed')!.lrScale).toBeCloseTo(0.5 ** 4, 12);
    expect(groups.get('patch_embed.proj.weight')!.lrScale).toBeCloseTo(0.5 ** 4, 12);
    expect(groups.get('blocks.0.mlp.fc1.weight')!.lrScale).toBeCloseTo(0.5 ** 3, 12);
    expect(groups.get('blocks.2.attn.qkv.weight')!.lrScale).toBeCloseTo(0.5, 12);
    expect(groups.get('head.weight')!.lrScale).toBe(1);
    expect([model.layerId('norm.weight'), model.numLayerGroups()]).toEqual([4, 5]);
    // Weight decay: matrices yes; biases, norms and token embeddings no.
    expect(groups.get('blocks.0.mlp.fc1.weight')!.decay).toBe(true);
    expect(groups.get('blocks.0.mlp.fc1.bias')!.decay).toBe(false);
    expect(groups.get('pos_embed')!.decay).toBe(false);
    expect(groups.get('cls_token')!.decay).toBe(false);
    model.dispose();
  });

  test('classifierOnly keeps just the head', () => {
    const model = createModel('test_efficientnet', { numClasses: 3, imageSize: 32 });
    expect(paramGroups(model, { classifierOnly: true, layerDecay: null }).map((g) => g.name)).toEqual(['classifier.weight', 'classifier.bias']);
    model.dispose();
  });
});
