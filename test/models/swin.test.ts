import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createModel, getModelEntry, listModels } from '../../src/models';
import { relativeCoordsTable, relativePositionIndex, shiftedWindowMask, SwinTransformerV2 } from '../../src/models/swin';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('Swin V2 relative positions and masks', () => {
  test('relative position index of a 2×2 window: (Δh + 1)·3 + (Δw + 1) for every token pair', () => {
    expect(Array.from(relativePositionIndex(2))).toEqual([4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4]);
  });

  test('coordinate table: log-spaced, ±log2(9)/3 at the window edge, normalised by the pretraining window when given', () => {
    const t = relativeCoordsTable(8);
    expect(t.length).toBe(15 * 15 * 2);
    // Row 14 is (Δh, Δw) = (−7, +7); row 7·15 + 7 is (0, 0).
    expect(t[14 * 2]).toBeCloseTo(-Math.log2(9) / 3, 6);
    expect(t[14 * 2 + 1]).toBeCloseTo(Math.log2(9) / 3, 6);
    expect(t[(7 * 15 + 7) * 2]).toBe(0);
    const pretrained = relativeCoordsTable(8, 12);
    expect(pretrained[14 * 2 + 1]).toBeCloseTo(Math.log2((7 / 11) * 8 + 1) / 3, 6);
  });

  test('shift mask of a 4×4 map, window 2, shift 1: only tokens from the same pre-shift region attend freely', () => {
    const m = shiftedWindowMask(4, 4, 2, 1);
    const at = (win: number, i: number, j: number) => m[win * 16 + i * 4 + j];
    // Top-left window lies in one region.
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(at(0, i, j)).toBe(0);
    // Top-right window: columns 2 and 3 come from different regions.
    expect(at(1, 0, 2)).toBe(0);
    expect(at(1, 0, 1)).toBe(-100);
    // Bottom-right window: four regions, each token alone.
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(at(3, i, j)).toBe(i === j ? 0 : -100);
  });
});

describe('swinv2_tiny_window8_256', () => {
  test("is registered with timm's pretrained config", () => {
    expect(listModels('swinv2')).toContain('swinv2_tiny_window8_256');
    const entry = getModelEntry('swinv2_tiny_window8_256');
    expect(entry.pretrainedCfg).toEqual({ inputSize: 256, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], numClasses: 1000 });
    expect(entry.timmParams).toEqual({ millions: 28.35, numClasses: 1000 });
  });

  test('a small variant runs at a size that needs window padding and clamping, and leaks nothing', () => {
    // 48 px: a 12×12 map padded to 16×16 for 8×8 windows, then 6×6 and 3×3 maps, each one whole window.
    const model = createModel('swinv2_tiny_window8_256', {
      numClasses: 4,
      imageSize: 48,
      args: { embedDim: 16, depths: [2, 2, 2], numHeads: [1, 2, 4], pretrainedWindowSizes: [0, 0, 0] },
    }) as SwinTransformerV2;
    expect(model.stages.map((s) => s.blocks.map((b) => [b.windowSize, b.shiftSize]))).toEqual([
      [
        [8, 0],
        [8, 4],
      ],
      [
        [6, 0],
        [6, 0],
      ],
      [
        [3, 0],
        [3, 0],
      ],
    ]);
    const x = tf.randomNormal([2, 48, 48, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const logits = model.forward(x);
    const pre = model.preLogits(x);
    expect(logits.shape).toEqual([2, 4]);
    expect(pre.shape).toEqual([2, 64]);
    expect(model.numFeatures).toBe(64);
    tf.dispose([logits, pre]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  test("post-norms start at zero (timm's init), so a fresh block is the identity", () => {
    const model = createModel('swinv2_tiny_window8_256', {
      numClasses: 2,
      imageSize: 32,
      args: { embedDim: 16, depths: [1], numHeads: [1], pretrainedWindowSizes: [0] },
    }) as SwinTransformerV2;
    const block = model.stages[0].blocks[0];
    const x = tf.randomNormal([1, 8, 8, 16], 0, 1, 'float32', 2) as tf.Tensor4D;
    const y = block.forward(x);
    expect(Array.from(y.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y]);
    model.dispose();
  });

  test('disposing the model frees its variables and its constant tables', () => {
    const before = tf.memory().numTensors;
    const model = createModel('swinv2_tiny_window8_256', {
      numClasses: 2,
      imageSize: 64,
      initialize: false,
      args: { embedDim: 16, depths: [2, 2], numHeads: [1, 2], pretrainedWindowSizes: [0, 0] },
    });
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
