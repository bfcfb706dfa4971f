import { ImageBatches } from '../../src/data/pipeline';
import { balancedSampleWeights, samplerConfigSchema, weightedDraw } from '../../src/data/sampler';
import { Dataset, RgbImage } from '../../src/data/types';
import { Rng } from '../../src/util/random';

/** 90 class-0 and 10 class-1 images of 8x8 pixels, each a flat grey of its index. */
function imbalanced(): Dataset {
  const samples = Array.from({ length: 100 }, (_, i) => ({ id: `s${i}`, label: i < 90 ? 0 : 1 }));
  return {
    source: 'test',
    task: 'binary',
    classes: ['normal', 'glaucoma'],
    samples,
    warnings: [],
    loadImage: async (s): Promise<RgbImage> => ({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(Number(s.id.slice(1))) }),
  };
}

const indices = Array.from({ length: 100 }, (_, i) => i);

describe('data.sampler: balanced', () => {
  test('the config takes balanced or null', () => {
    expect(samplerConfigSchema.parse(undefined)).toBeNull();
    expect(samplerConfigSchema.parse('balanced')).toBe('balanced');
    expect(() => samplerConfigSchema.parse('weighted')).toThrow();
  });

  test('each class weighs 1 / its count, so both classes are drawn about equally often', () => {
    const ds = imbalanced();
    const w = balancedSampleWeights(ds, indices);
    expect(w[0]).toBeCloseTo(1 / 90, 15);
    expect(w[99]).toBeCloseTo(1 / 10, 15);
    const draws = weightedDraw(indices, w, 20000, Rng.create(1, 'sampler:0'));
    const minority = draws.filter((i) => i >= 90).length / draws.length;
    // Binomial(20000, 0.5): 4 standard deviations are 0.014.
    expect(Math.abs(minority - 0.5)).toBeLessThan(0.014);
    // With replacement: minority images come many times.
    expect(new Set(draws.filter((i) => i >= 90)).size).toBe(10);
  });

  test('a zero weight is never drawn; multi-label samples balance over label patterns', () => {
    const draws = weightedDraw([5, 6, 7], [0, 1, 3], 4000, Rng.create(2, 'x'));
    expect(draws).not.toContain(5);
    expect(draws.filter((i) => i === 7).length / 4000).toBeCloseTo(0.75, 1);
    const ml: Dataset = {
      ...imbalanced(),
      task: 'multilabel',
      samples: [
        { id: 'a', labels: [1, 0] },
        { id: 'b', labels: [1, 0] },
        { id: 'c', labels: [0, 1] },
      ],
    };
    expect(balancedSampleWeights(ml, [0, 1, 2])).toEqual([0.5, 0.5, 1]);
  });

  test('the pipeline keeps the epoch length, and an epoch is the same whenever it is built (resume)', async () => {
    const ds = imbalanced();
    const opts = {
      imageSize: 8,
      batchSize: 16,
      normalize: { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] },
      shuffleSeed: 3,
      seed: 3,
      prefetch: 1,
      sampleWeights: balancedSampleWeights(ds, indices),
    };
    const a = new ImageBatches(ds, indices, opts);
    const b = new ImageBatches(ds, indices, { ...opts, prefetch: 0 });
    expect(a.numBatches).toBe(7);
    expect(a.order(2)).toHaveLength(100);
    expect(b.order(2)).toEqual(a.order(2));
    expect(a.order(1)).not.toEqual(a.order(2));
    const served: number[] = [];
    for await (const batch of b.epoch(2)) served.push(...batch.indices);
    expect(served).toEqual(a.order(2));
    expect(served.filter((i) => i >= 90).length).toBeGreaterThan(30);
  });
});
