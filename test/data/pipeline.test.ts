import { augmentConfigSchema, dataConfigSchema, NormalizeConfig } from '../../src/data/config';
import { resizeRgb } from '../../src/data/image';
import { ImageCache } from '../../src/data/image-cache';
import { Batch, ImageBatches, ImageBatchesOptions } from '../../src/data/pipeline';
import { loadDataset } from '../../src/data/sources';
import { Dataset, RgbImage, Sample, Task } from '../../src/data/types';

const normalize: NormalizeConfig = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** A dataset of n 16x16 images, each a distinct pattern, that counts and optionally slows its decodes. */
function countingDataset(n: number, opts: { task?: Task; delayMs?: number } = {}) {
  const task = opts.task ?? 'multiclass';
  const stats = { loads: 0, active: 0, maxActive: 0 };
  const samples: Sample[] = Array.from({ length: n }, (_, i) =>
    task === 'multilabel' ? { id: `s${i}`, labels: [i % 2, (i >> 1) % 2] } : { id: `s${i}`, label: i % 3 },
  );
  const dataset: Dataset = {
    source: 'test',
    task,
    classes: task === 'multilabel' ? ['x', 'y'] : ['a', 'b', 'c'],
    samples,
    warnings: [],
    async loadImage(sample: Sample): Promise<RgbImage> {
      stats.loads++;
      stats.active++;
      stats.maxActive = Math.max(stats.maxActive, stats.active);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      stats.active--;
      const i = samples.indexOf(sample);
      const data = new Uint8Array(16 * 16 * 3);
      for (let p = 0; p < data.length; p++) data[p] = (i * 37 + p * 11) % 256;
      return { width: 16, height: 16, data };
    },
  };
  return { dataset, stats };
}

const base = (extra: Partial<ImageBatchesOptions> = {}): ImageBatchesOptions => ({
  imageSize: 8,
  batchSize: 4,
  normalize,
  seed: 1,
  prefetch: 2,
  ...extra,
});

async function collect(batches: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

/** x of each sample index in an epoch, for comparing what two pipelines served. */
function bySample(batches: Batch[], imageSize: number): Map<number, Float32Array> {
  const px = imageSize * imageSize * 3;
  const m = new Map<number, Float32Array>();
  for (const b of batches) b.indices.forEach((idx, k) => m.set(idx, b.x.slice(k * px, (k + 1) * px)));
  return m;
}

describe('ImageBatches', () => {
  it('serves NHWC normalised batches with one-hot targets, every index once, the last batch smaller', async () => {
    const { dataset } = countingDataset(10);
    const indices = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const pipe = new ImageBatches(dataset, indices, base({ shuffleSeed: 3 }));
    expect(pipe.numBatches).toBe(3);
    expect(pipe.numClasses).toBe(3);
    const batches = await collect(pipe.epoch(0));
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    for (const b of batches) {
      expect(b.x).toHaveLength(b.size * 8 * 8 * 3);
      expect(b.y).toHaveLength(b.size * 3);
      b.indices.forEach((idx, k) => expect(Array.from(b.y.slice(k * 3, k * 3 + 3))).toEqual([0, 1, 2].map((c) => (c === idx % 3 ? 1 : 0))));
    }
    expect(batches.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(indices);

    // Without augmentation, x is exactly (resized pixel / 255 - mean) / std.
    const first = batches[0];
    const img = await resizeRgb(await dataset.loadImage(dataset.samples[first.indices[0]]), 8);
    for (let i = 0; i < 8 * 8 * 3; i++) expect(first.x[i]).toBeCloseTo((img.data[i] / 255 - normalize.mean[i % 3]) / normalize.std[i % 3], 5);

    const dropped = new ImageBatches(dataset, indices, base({ shuffleSeed: 3, dropLast: true }));
    expect(dropped.numBatches).toBe(2);
    expect((await collect(dropped.epoch(0))).map((b) => b.size)).toEqual([4, 4]);
  });

  it('writes 0/1 targets for multi-label data', async () => {
    const { dataset } = countingDataset(4, { task: 'multilabel' });
    const [b] = await collect(new ImageBatches(dataset, [0, 1, 2, 3], base()).epoch(0));
    expect(Array.from(b.y)).toEqual([0, 0, 1, 0, 0, 1, 1, 1]);
  });

  it('shuffles by epoch index alone: same order in two instances, another order in another epoch, none without a seed', async () => {
    const { dataset } = countingDataset(24);
    const indices = Array.from({ length: 24 }, (_, i) => i);
    const a = new ImageBatches(dataset, indices, base({ shuffleSeed: 5 }));
    const b = new ImageBatches(dataset, indices, base({ shuffleSeed: 5, prefetch: 0, batchSize: 5 }));
    const order = async (p: ImageBatches, e: number) => (await collect(p.epoch(e))).flatMap((x) => x.indices);
    expect(await order(a, 2)).toEqual(await order(b, 2));
    expect(await order(a, 2)).toEqual(a.order(2));
    expect(a.order(2)).not.toEqual(a.order(3));
    expect(a.order(0)).not.toEqual(indices);
    expect(await order(new ImageBatches(dataset, indices, base()), 4)).toEqual(indices);
  });

  it('augments each image the same way for the same (epoch, index), whatever the batching, and differently in another epoch', async () => {
    const ds = await loadDataset(dataConfigSchema.parse({ source: 'synthetic', task: 'glaucoma', count: 12, renderSize: 64 }), { seed: 2 });
    const augment = augmentConfigSchema.parse({
      hflip: 0.5,
      vflip: 0.5,
      rotate: 20,
      brightness: 0.2,
      contrast: 0.2,
      saturation: 0.2,
      randomResizedCrop: {},
    });
    const indices = Array.from({ length: 12 }, (_, i) => i);
    const a = new ImageBatches(ds, indices, base({ imageSize: 32, augment, shuffleSeed: 1, prefetch: 3, concurrency: 1 }));
    const b = new ImageBatches(ds, indices, base({ imageSize: 32, augment, shuffleSeed: 9, prefetch: 0, batchSize: 5, concurrency: 4 }));
    const ea = bySample(await collect(a.epoch(1)), 32);
    const eb = bySample(await collect(b.epoch(1)), 32);
    for (const i of indices) expect(Array.from(ea.get(i)!)).toEqual(Array.from(eb.get(i)!));
    const next = bySample(await collect(a.epoch(2)), 32);
    const changed = indices.filter((i) => Array.from(next.get(i)!).some((v, k) => v !== ea.get(i)![k]));
    expect(changed.length).toBeGreaterThan(8);

    // A resumed run that starts at epoch 2 sees exactly what the uninterrupted one saw.
    const resumed = new ImageBatches(ds, indices, base({ imageSize: 32, augment, shuffleSeed: 1, prefetch: 3, concurrency: 1 }));
    const r = await collect(resumed.epoch(2));
    const again = await collect(a.epoch(2));
    expect(r.map((x) => x.indices)).toEqual(again.map((x) => x.indices));
    r.forEach((x, k) => expect(Buffer.from(x.x.buffer).equals(Buffer.from(again[k].x.buffer))).toBe(true));
  });

  it('serves evaluation batches without augmentation: identical in every epoch', async () => {
    const ds = await loadDataset(dataConfigSchema.parse({ source: 'synthetic', task: 'dr', count: 6, renderSize: 64 }), { seed: 2 });
    const evalPipe = new ImageBatches(ds, [0, 1, 2, 3, 4, 5], base({ imageSize: 32 }));
    const e0 = await collect(evalPipe.epoch(0));
    const e7 = await collect(evalPipe.epoch(7));
    expect(e7.map((b) => b.indices)).toEqual(e0.map((b) => b.indices));
    e0.forEach((b, k) => expect(Array.from(e7[k].x)).toEqual(Array.from(b.x)));
    // The identity augment config also leaves images untouched.
    const noop = new ImageBatches(ds, [0, 1, 2, 3, 4, 5], base({ imageSize: 32, augment: augmentConfigSchema.parse({}) }));
    (await collect(noop.epoch(3))).forEach((b, k) => expect(Array.from(b.x)).toEqual(Array.from(e0[k].x)));
  });

  it('decodes each image once: epoch 2 comes from the cache', async () => {
    const { dataset, stats } = countingDataset(12);
    const pipe = new ImageBatches(
      dataset,
      Array.from({ length: 12 }, (_, i) => i),
      base({ shuffleSeed: 1 }),
    );
    await collect(pipe.epoch(0));
    expect(stats.loads).toBe(12);
    await collect(pipe.epoch(1));
    expect(stats.loads).toBe(12);
    expect(pipe.cache.count).toBe(12);
    expect(pipe.cache.bytes).toBe(12 * 8 * 8 * 3);
  });

  it('keeps within its cache budget and then decodes the rest again', async () => {
    const { dataset, stats } = countingDataset(10);
    const cache = new ImageCache(4 * 8 * 8 * 3);
    const pipe = new ImageBatches(
      dataset,
      Array.from({ length: 10 }, (_, i) => i),
      base({ cache }),
    );
    await collect(pipe.epoch(0));
    await collect(pipe.epoch(1));
    expect(cache.count).toBe(4);
    expect(stats.loads).toBe(10 + 6);
    const other = countingDataset(3).dataset;
    expect(() => new ImageBatches(other, [0], base({ cache }))).toThrow(/serves one dataset/);
  });

  it('prepares at most `prefetch` batches ahead and decodes at most `concurrency` images at once', async () => {
    const { dataset, stats } = countingDataset(40, { delayMs: 5 });
    const pipe = new ImageBatches(
      dataset,
      Array.from({ length: 40 }, (_, i) => i),
      base({ prefetch: 2, concurrency: 3 }),
    );
    const it = pipe.epoch(0)[Symbol.asyncIterator]();
    await it.next(); // the consumer holds batch 0 and does not ask for more
    await new Promise((r) => setTimeout(r, 100));
    expect(stats.loads).toBe(4 * 3); // batch 0 and two ahead
    expect(stats.maxActive).toBeLessThanOrEqual(3);
    await it.return!(undefined);
  });

  it('rejects indices outside the dataset', () => {
    const { dataset } = countingDataset(3);
    expect(() => new ImageBatches(dataset, [0, 3], base())).toThrow(/sample index 3 is outside the dataset/);
  });
});
