import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createModel } from '../../../src/models';
import { loadWeights } from '../../../src/models/load-weights';
import { hfSwinv2NameMap, hfVitNameMap } from '../../../src/models/name-maps';
import { exportStateDict } from '../../../src/models/state';
import { readSafetensors, writeSafetensors } from '../../../src/models/weights/safetensors';
import { StateDict } from '../../../src/models/weights/tensor';
import { UserError } from '../../../src/util/errors';
import { compareModels, removeTempFiles, roundTrip, splitQkv } from './round-trip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(removeTempFiles);

/** timm names → transformers' ViTForImageClassification (prefix "vit.") or Dinov2Model (no prefix) names. */
function toHf(timm: StateDict, style: 'vit' | 'dinov2'): StateDict {
  const p = style === 'vit' ? 'vit.' : '';
  const out: StateDict = new Map();
  for (const [name, t] of timm) {
    let m: RegExpExecArray | null;
    if (name === 'cls_token') out.set(`${p}embeddings.cls_token`, t);
    else if (name === 'pos_embed') out.set(`${p}embeddings.position_embeddings`, t);
    else if ((m = /^patch_embed\.proj\.(\w+)$/.exec(name))) out.set(`${p}embeddings.patch_embeddings.projection.${m[1]}`, t);
    else if ((m = /^norm\.(\w+)$/.exec(name))) out.set(`${p}layernorm.${m[1]}`, t);
    else if ((m = /^head\.(\w+)$/.exec(name))) out.set(`classifier.${m[1]}`, t);
    else if ((m = /^blocks\.(\d+)\.(.+)$/.exec(name))) {
      const l = `${p}encoder.layer.${m[1]}.`;
      const key = m[2];
      let k: RegExpExecArray | null;
      if ((k = /^attn\.qkv\.(\w+)$/.exec(key))) {
        const [q, kk, v] = splitQkv(t);
        out.set(`${l}attention.attention.query.${k[1]}`, q);
        out.set(`${l}attention.attention.key.${k[1]}`, kk);
        out.set(`${l}attention.attention.value.${k[1]}`, v);
      } else if ((k = /^attn\.proj\.(\w+)$/.exec(key))) out.set(`${l}attention.output.dense.${k[1]}`, t);
      else if ((k = /^norm([12])\.(\w+)$/.exec(key))) {
        out.set(style === 'vit' ? `${l}layernorm_${k[1] === '1' ? 'before' : 'after'}.${k[2]}` : `${l}norm${k[1]}.${k[2]}`, t);
      } else if ((k = /^mlp\.fc([12])\.(\w+)$/.exec(key))) {
        out.set(style === 'vit' ? `${l}${k[1] === '1' ? 'intermediate' : 'output'}.dense.${k[2]}` : `${l}mlp.fc${k[1]}.${k[2]}`, t);
      } else if ((k = /^ls([12])\.gamma$/.exec(key))) out.set(`${l}layer_scale${k[1]}.lambda1`, t);
      else throw new Error(`test has no HF name for ${name}`);
    } else throw new Error(`test has no HF name for ${name}`);
  }
  if (style === 'dinov2') {
    // Pretraining-only: must be dropped by the map.
    out.set('embeddings.mask_token', {
      dtype: 'float32',
      shape: [1, timm.get('cls_token')!.shape[2]],
      data: new Float32Array(timm.get('cls_token')!.shape[2]),
    });
  }
  return out;
}

describe('Hugging Face ViT / DINOv2 names', () => {
  const vitOptions = { numClasses: 3, imageSize: 32, args: { embedDim: 32, depth: 2, numHeads: 2 } };

  test('a transformers ViTForImageClassification state dict loads strictly and computes what the timm one does', async () => {
    const { source, target, report } = await roundTrip('test_vit', vitOptions, (d) => toHf(d, 'vit'));
    expect(report.loaded).toBe(target.namedVariables().length);
    expect(report.replacedClassifier).toBeNull();
    const diff = compareModels(source, target, 32);
    expect(diff.weights).toBe(0);
    expect(diff.outputs).toBe(0);
    source.dispose();
    target.dispose();
  });

  test('a bare Dinov2Model state dict (layer scale, no classifier, mask token) loads into a DINOv2 ViT', async () => {
    const options = { numClasses: 0, imageSize: 28, args: { embedDim: 32, depth: 2, numHeads: 2 } };
    const { source, target, report } = await roundTrip('vit_small_patch14_dinov2', options, (d) => toHf(d, 'dinov2'));
    expect(report.loaded).toBe(target.namedVariables().length);
    expect(target.namedVariables().some((v) => v.name === 'blocks.1.ls2.gamma')).toBe(true);
    const diff = compareModels(source, target, 28);
    expect(diff.weights).toBe(0);
    expect(diff.outputs).toBe(0);
    source.dispose();
    target.dispose();
  });

  test('an incomplete query/key/value set stays visible to the strict loader', async () => {
    const { source, target, file } = await roundTrip('test_vit', vitOptions, (d) => toHf(d, 'vit'));
    const dict = readSafetensors(file);
    dict.delete('vit.encoder.layer.1.attention.attention.value.weight');
    writeSafetensors(file, dict);
    expect(() => loadWeights(target, file, { strict: true })).toThrow(UserError);
    expect(() => loadWeights(target, file, { strict: true })).toThrow(
      /missing 1 \(blocks\.1\.attn\.qkv\.weight\); unexpected 2 \(vit\.encoder\.layer\.1\.attention\.attention\.query\.weight/,
    );
    source.dispose();
    target.dispose();
  });

  test('returns null for timm names and for transformers Swinv2 names', async () => {
    const model = createModel('test_vit', { ...vitOptions, initialize: false });
    const timm = await exportStateDict(model);
    expect(hfVitNameMap(timm, model)).toBeNull();
    const swinLike: StateDict = new Map([
      ['swinv2.embeddings.patch_embeddings.projection.weight', timm.get('patch_embed.proj.weight')!],
      ['swinv2.encoder.layers.0.blocks.0.layernorm_before.weight', timm.get('norm.weight')!],
    ]);
    expect(hfVitNameMap(swinLike, model)).toBeNull();
    expect(hfSwinv2NameMap(toHf(timm, 'vit'), model)).toBeNull();
    model.dispose();
  });
});
