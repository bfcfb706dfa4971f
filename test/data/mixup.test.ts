import * as fs from 'fs';
import * as path from 'path';
import { applyMixPlan, boxLam, cutmixBox, drawMixPlan, MixDecision, mixupConfigSchema } from '../../src/data/mixup';
import { Rng } from '../../src/util/random';
import { sampleBeta } from '../../src/util/distributions';

// Recorded by scripts/mixup_reference.py: timm's Mixup with numpy's random draws pinned to known values.
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'mixup-reference.json'), 'utf8'));

/** [name, case] rows for test.each. */
const named = (xs: typeof ref.cases): Array<[string, typeof ref]> => xs.map((x: { name: string }) => [x.name, x]);
const [N, H, W] = ref.shape;
const K = ref.classes;

function cut(lam: number, cy: number, cx: number, correct = true): MixDecision {
  const box = cutmixBox(H, W, lam, cy, cx);
  return { lam: correct ? boxLam(H, W, box) : lam, box };
}
const f = Math.fround;
const all = (d: MixDecision): MixDecision[] => Array.from({ length: N }, () => d);
const minmaxBox = { yl: 2, yh: 6, xl: 6, xh: 9 };

/** The decisions that timm made from each case's pinned draws (see the script's comments). */
const plans: Record<string, MixDecision[]> = {
  'batch-mixup': all({ lam: 0.3, box: null }),
  'batch-cutmix-clipped': all(cut(0.4, 1, 8)),
  'batch-cutmix-uncorrected': all(cut(0.4, 1, 8, false)),
  'batch-minmax': all({ lam: boxLam(H, W, minmaxBox), box: minmaxBox }),
  'elem-mixed': [
    { lam: f(0.2), box: null },
    { lam: 1, box: null },
    { lam: f(0.7), box: null },
    { ...cut(0.55, 4, 5), lam: f(cut(0.55, 4, 5).lam) },
  ],
  pair: [
    { lam: f(0.25), box: null },
    { ...cut(0.35, 6, 2), lam: f(cut(0.35, 6, 2).lam) },
    { ...cut(0.35, 6, 2), lam: f(cut(0.35, 6, 2).lam) },
    { lam: f(0.25), box: null },
  ],
};

const onehot = (): Float32Array => {
  const y = new Float32Array(N * K);
  ref.labels.forEach((l: number, i: number) => (y[i * K + l] = 1));
  return y;
};

describe("mixup and CutMix equal timm's Mixup on pinned draws", () => {
  test.each(named(ref.cases))('%s', (name, c) => {
    const x = Float32Array.from(ref.x);
    const smoothing = c.options.label_smoothing ?? 0.1;
    const target = applyMixPlan(x, onehot(), N, H, W, plans[name], smoothing, false);
    // Images bit for bit (the same float32 roundings), targets to float32 precision.
    expect(Array.from(x)).toEqual(c.x.map((v: number) => f(v)));
    Array.from(target).forEach((v, i) => expect(Math.abs(v - c.target[i])).toBeLessThan(1e-7));
  });

  test('cutmix box and λ correction as timm computes them', () => {
    // λ 0.4 on 8 x 10: a 6 x 7 box around (1, 8), clipped to rows 0-4 and columns 5-10.
    expect(cutmixBox(8, 10, 0.4, 1, 8)).toEqual({ yl: 0, yh: 4, xl: 5, xh: 10 });
    expect(boxLam(8, 10, { yl: 0, yh: 4, xl: 5, xh: 10 })).toBe(0.75);
  });
});

describe('mixing plans', () => {
  const cfg = (o: object) => mixupConfigSchema.parse(o);

  test('the same stream gives the same plan; another batch key another one', () => {
    const c = cfg({ alpha: 0.8, cutmixAlpha: 1, mode: 'elem' });
    const a = drawMixPlan(c, 6, 16, 16, Rng.create(1, 'augment-mix:0:0'));
    expect(drawMixPlan(c, 6, 16, 16, Rng.create(1, 'augment-mix:0:0'))).toEqual(a);
    expect(drawMixPlan(c, 6, 16, 16, Rng.create(1, 'augment-mix:0:1'))).not.toEqual(a);
  });

  test('batch mode shares one decision, pair mode mirrors pairs, prob 0 mixes nothing', () => {
    const b = drawMixPlan(cfg({}), 5, 8, 8, Rng.create(2, 'm'));
    expect(new Set(b.map((d) => d.lam)).size).toBe(1);
    const p = drawMixPlan(cfg({ mode: 'pair', cutmixAlpha: 1 }), 5, 8, 8, Rng.create(2, 'm'));
    expect(p[0]).toEqual(p[4]);
    expect(p[1]).toEqual(p[3]);
    expect(p[2]).toEqual({ lam: 1, box: null });
    expect(drawMixPlan(cfg({ prob: 0, mode: 'elem' }), 4, 8, 8, Rng.create(2, 'm')).every((d) => d.lam === 1)).toBe(true);
  });

  test('CutMix λ is the uncovered share of the image; mixup λ follows Beta(α, α)', () => {
    const plan = drawMixPlan(cfg({ alpha: 0, cutmixAlpha: 1, mode: 'elem' }), 200, 20, 20, Rng.create(3, 'm'));
    for (const d of plan) expect(d.lam).toBeCloseTo(boxLam(20, 20, d.box!), 6);
    const rng = Rng.create(4, 'beta');
    const draws = Array.from({ length: 20000 }, () => sampleBeta(rng, 0.4, 0.4));
    const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
    const variance = draws.reduce((s, v) => s + (v - mean) ** 2, 0) / draws.length;
    // Beta(0.4, 0.4): mean 0.5, variance 1 / (4 · 1.8) = 0.1389.
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 7.2, 2);
  });

  test('multi-label targets mix per label with binary smoothing', () => {
    const x = new Float32Array(2 * 2 * 2 * 3);
    const t = applyMixPlan(
      x,
      Float32Array.from([1, 0, 0, 1]),
      2,
      2,
      2,
      [
        { lam: 0.75, box: null },
        { lam: 0.75, box: null },
      ],
      0.2,
      true,
    );
    // Smoothed targets [0.9, 0.1] and [0.1, 0.9], mixed 3:1.
    expect(Array.from(t).map((v) => +v.toFixed(6))).toEqual([0.7, 0.3, 0.3, 0.7]);
  });

  test('a config that turns nothing on is an error', () => {
    expect(() => cfg({ alpha: 0 })).toThrow(/turn something on/);
  });
});
