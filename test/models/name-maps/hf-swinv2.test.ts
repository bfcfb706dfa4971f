import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createModel } from '../../../src/models';
import { hfSwinv2NameMap, hfVitNameMap } from '../../../src/models/name-maps';
import { exportStateDict } from '../../../src/models/state';
import { StateDict } from '../../../src/models/weights/tensor';
import { compareModels, removeTempFiles, roundTrip, splitQkv } from './round-trip';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(removeTempFiles);

/** timm names → transformers' Swinv2ForImageClassification names. */
function toHf(timm: StateDict): StateDict {
  const out: StateDict = new Map();
  for (const [name, t] of timm) {
    let m: RegExpExecArray | null;
    if ((m = /^patch_embed\.proj\.(\w+)$/.exec(name))) out.set(`swinv2.embeddings.patch_embeddings.projection.${m[1]}`, t);
    else if ((m = /^patch_embed\.norm\.(\w+)$/.exec(name))) out.set(`swinv2.embeddings.norm.${m[1]}`, t);
    else if ((m = /^norm\.(\w+)$/.exec(name))) out.set(`swinv2.layernorm.${m[1]}`, t);
    else if ((m = /^head\.fc\.(\w+)$/.exec(name))) out.set(`classifier.${m[1]}`, t);
    // transformers merges patches at the end of the previous stage.
    else if ((m = /^layers\.(\d+)\.downsample\.(.+)$/.exec(name))) out.set(`swinv2.encoder.layers.${Number(m[1]) - 1}.downsample.${m[2]}`, t);
    else if ((m = /^layers\.(\d+)\.blocks\.(\d+)\.(.+)$/.exec(name))) {
      const b = `swinv2.encoder.layers.${m[1]}.blocks.${m[2]}.`;
      const key = m[3];
      let k: RegExpExecArray | null;
      if (key === 'attn.qkv.weight') {
        const [q, kk, v] = splitQkv(t);
        out.set(`${b}attention.self.query.weight`, q);
        out.set(`${b}attention.self.key.weight`, kk);
        out.set(`${b}attention.self.value.weight`, v);
      } else if (key === 'attn.q_bias') out.set(`${b}attention.self.query.bias`, t);
      else if (key === 'attn.v_bias') out.set(`${b}attention.self.value.bias`, t);
      else if (key === 'attn.logit_scale') out.set(`${b}attention.self.logit_scale`, t);
      else if ((k = /^attn\.cpb_mlp\.([02])\.(\w+)$/.exec(key))) out.set(`${b}attention.self.continuous_position_bias_mlp.${k[1]}.${k[2]}`, t);
      else if ((k = /^attn\.proj\.(\w+)$/.exec(key))) out.set(`${b}attention.output.dense.${k[1]}`, t);
      else if ((k = /^norm([12])\.(\w+)$/.exec(key))) out.set(`${b}layernorm_${k[1] === '1' ? 'before' : 'after'}.${k[2]}`, t);
      else if ((k = /^mlp\.fc([12])\.(\w+)$/.exec(key))) out.set(`${b}${k[1] === '1' ? 'intermediate' : 'output'}.dense.${k[2]}`, t);
      else throw new Error(`test has no HF name for ${name}`);
      if (key === 'attn.logit_scale') {
        // Buffers some checkpoints carry; computed, never loaded.
        out.set(`${b}attention.self.relative_position_index`, { dtype: 'int64', shape: [1], data: new BigInt64Array(1) });
        out.set(`${b}attention.self.relative_coords_table`, { dtype: 'float32', shape: [1], data: new Float32Array(1) });
      }
    } else throw new Error(`test has no HF name for ${name}`);
  }
  return out;
}

describe('Hugging Face Swinv2 names', () => {
  // Two stages (one patch merging), a shifted block in the first: every kind of tensor appears.
  const options = {
    numClasses: 3,
    imageSize: 32,
    args: { embedDim: 16, depths: [2, 2], numHeads: [1, 2], windowSize: 4, pretrainedWindowSizes: [0, 0] },
  };

  test('a transformers Swinv2ForImageClassification state dict loads strictly and computes what the timm one does', async () => {
    const { source, target, report } = await roundTrip('swinv2_tiny_window8_256', options, toHf);
    expect(report.loaded).toBe(target.namedVariables().length);
    expect(report.replacedClassifier).toBeNull();
    expect(target.namedVariables().some((v) => v.name === 'layers.1.downsample.reduction.weight')).toBe(true);
    const diff = compareModels(source, target, 32);
    expect(diff.weights).toBe(0);
    expect(diff.outputs).toBe(0);
    source.dispose();
    target.dispose();
  });

  test('returns null for timm names and for transformers ViT names', async () => {
    const model = createModel('swinv2_tiny_window8_256', { ...options, initialize: false });
    const timm = await exportStateDict(model);
    expect(hfSwinv2NameMap(timm, model)).toBeNull();
    const vitLike: StateDict = new Map([
      ['vit.embeddings.patch_embeddings.projection.weight', timm.get('patch_embed.proj.weight')!],
      ['vit.encoder.layer.0.layernorm_before.weight', timm.get('norm.weight')!],
    ]);
    expect(hfSwinv2NameMap(vitLike, model)).toBeNull();
    expect(hfVitNameMap(toHf(timm), model)).toBeNull();
    model.dispose();
  });
});
