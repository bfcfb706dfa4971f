import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createModel } from '../../src/models';
import { paramGroups } from '../../src/train/param-groups';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('parameter groups from the model hooks', () => {
  test("Swin V2: timm's layer groups (patch merging with its stage's first block, final norm with the last block) and no decay on temperatures and position-bias MLPs", () => {
    const model = createModel('swinv2_tiny_window8_256', {
      numClasses: 2,
      imageSize: 32,
      initialize: false,
      args: { embedDim: 16, depths: [2, 1], numHeads: [1, 2], windowSize: 4 },
    });
    const groups = new Map(paramGroups(model, { classifierOnly: false, layerDecay: 0.5 }).map((g) => [g.name, g]));
    const id = (n: string) => model.layerId(n);
    expect([id('patch_embed.proj.weight'), id('layers.0.blocks.0.attn.qkv.weight'), id('layers.0.blocks.1.mlp.fc1.weight')]).toEqual([0, 1, 2]);
    expect([id('layers.1.downsample.reduction.weight'), id('layers.1.blocks.0.norm1.weight')]).toEqual([3, 3]);
    expect([id('norm.weight'), id('head.fc.weight'), model.numLayerGroups()]).toEqual([3, 4, 5]);
    expect(groups.get('patch_embed.proj.weight')!.lrScale).toBeCloseTo(0.5 ** 4, 12);
    expect(groups.get('head.fc.weight')!.lrScale).toBe(1);
    expect(groups.get('layers.0.blocks.0.attn.logit_scale')!.decay).toBe(false);
    expect(groups.get('layers.0.blocks.0.attn.cpb_mlp.0.weight')!.decay).toBe(false);
    expect(groups.get('layers.0.blocks.0.attn.qkv.weight')!.decay).toBe(true);
    expect(groups.get('layers.0.blocks.0.attn.q_bias')!.decay).toBe(false);
    model.dispose();
  });

  test('a CNN decays too: stem at decay^(groups - 1), each block one step closer, the classifier at the full rate', () => {
    const model = createModel('resnet18', {
      numClasses: 2,
      imageSize: 32,
      initialize: false,
      args: { layers: [1, 2], channels: [8, 16], stemWidth: 8 },
    });
    const scale = new Map(paramGroups(model, { classifierOnly: false, layerDecay: 0.5 }).map((g) => [g.name, g.lrScale]));
    expect(model.numLayerGroups()).toBe(5);
    expect(
      ['conv1.weight', 'layer1.0.conv1.weight', 'layer2.0.downsample.0.weight', 'layer2.1.bn2.weight', 'fc.weight'].map((n) => scale.get(n)),
    ).toEqual([0.5 ** 4, 0.5 ** 3, 0.5 ** 2, 0.5, 1]);
    expect(paramGroups(model, { classifierOnly: false, layerDecay: null }).every((g) => g.lrScale === 1)).toBe(true);
    model.dispose();
  });
});
