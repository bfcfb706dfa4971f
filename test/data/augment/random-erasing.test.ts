import * as fs from 'fs';
import * as path from 'path';
import { randomErase, RandomErasingOptions } from '../../../src/data/augment/random-erasing';
import { randomErasingSchema } from '../../../src/data/augment/schema';
import { Rng } from '../../../src/util/random';

// Recorded by scripts/random_erasing_reference.py: timm's RandomErasing with its draws pinned.
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'random-erasing-reference.json'), 'utf8'));

/** [name, case] rows for test.each. */
const named = (xs: typeof ref.cases): Array<[string, typeof ref]> => xs.map((x: { name: string }) => [x.name, x]);
const [H, W] = ref.shape;

/** An Rng whose uniform numbers come from a queue (uniform and int derive from next, as the script's stand-ins do). */
function pinned(queue: number[]): Rng {
  const q = [...queue];
  const rng = Object.create(Rng.prototype) as Rng;
  rng.next = () => {
    if (!q.length) throw new Error('queue exhausted');
    return q.shift()!;
  };
  return rng;
}

function options(o: Record<string, number>): RandomErasingOptions {
  return randomErasingSchema.parse({
    prob: o.probability,
    mode: 'const',
    minArea: o.min_area,
    maxArea: o.max_area,
    minAspect: o.min_aspect,
    minCount: o.min_count,
    maxCount: o.max_count,
  })!;
}

describe("random erasing equals timm's RandomErasing on pinned draws", () => {
  test.each(named(ref.cases))('%s', (_n, c) => {
    const x = new Float32Array(2 * H * W * 3).fill(1);
    // The second image of the batch: erasing works at an offset and leaves the first alone.
    randomErase(x, H * W * 3, H, W, options(c.options), pinned(c.draws));
    const erased: number[] = [];
    for (let p = 0; p < H * W; p++) if (x[H * W * 3 + p * 3] === 0) erased.push(p);
    expect(erased).toEqual(c.erased);
    expect(x.subarray(0, H * W * 3).every((v) => v === 1)).toBe(true);
  });
});

describe('random erasing modes', () => {
  const opts = (mode: 'const' | 'rand' | 'pixel') => randomErasingSchema.parse({ prob: 1, mode })!;

  test('rand fills a box with one colour per channel, pixel with noise; both reproducible', () => {
    const run = (mode: 'rand' | 'pixel', seed: number) => {
      const x = new Float32Array(16 * 16 * 3).fill(5);
      randomErase(x, 0, 16, 16, opts(mode), Rng.create(seed, 'augment:0:0:erase'));
      return x;
    };
    const rand = run('rand', 1);
    const changed = Array.from({ length: 256 }, (_, p) => p).filter((p) => rand[p * 3] !== 5);
    expect(changed.length).toBeGreaterThan(0);
    expect(new Set(changed.map((p) => rand[p * 3])).size).toBe(1);
    const pixel = run('pixel', 1);
    expect(new Set(Array.from(pixel).filter((v) => v !== 5)).size).toBeGreaterThan(10);
    expect(run('pixel', 1)).toEqual(pixel);
  });

  test('defaults are RETFound/timm: prob 0.25, pixel mode, area 0.02 to 1/3', () => {
    expect(randomErasingSchema.parse({})).toMatchObject({ prob: 0.25, mode: 'pixel', minArea: 0.02, maxArea: 1 / 3, minAspect: 0.3 });
  });
});
