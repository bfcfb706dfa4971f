import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import {
  applyOp,
  opArgument,
  parseRandAugment,
  randAugment,
  RandAugmentParams,
  RAND_INCREASING_TRANSFORMS,
} from '../../../src/data/augment/rand-augment';
import { RgbImage } from '../../../src/data/types';
import { Rng } from '../../../src/util/random';

// Recorded by scripts/randaugment_reference.py: timm's op functions (Pillow 9.4) on one 36x28 image.
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'randaugment-reference.json'), 'utf8'));
const image: RgbImage = { width: ref.width, height: ref.height, data: new Uint8Array(Buffer.from(ref.image, 'base64')) };
const params: RandAugmentParams = { interpolation: 'bicubic', fill: ref.fill, translatePct: ref.translate_pct };
const sha256 = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex');

interface Case {
  op: string;
  arg: number | null;
  interpolation: 'bilinear' | 'bicubic' | null;
  sha256: string;
}

describe("RandAugment ops equal timm's (Pillow) output bit for bit", () => {
  // Pillow's integer tables, float32 blends and double-precision resampling (Geometry.c) are all
  // reproducible, the geometric ops with both bilinear and bicubic filters included.
  test.each((ref.cases as Case[]).map((c): [string, Case] => [`${c.op}(${c.arg ?? ''}${c.interpolation ? `, ${c.interpolation}` : ''})`, c]))(
    '%s',
    (_n, c: Case) => {
      const before = Buffer.from(image.data);
      const out = applyOp(c.op, image, c.arg ?? 0, c.interpolation ?? 'bicubic', params);
      expect(sha256(out.data)).toBe(c.sha256);
      expect(Buffer.from(image.data).equals(before)).toBe(true); // the input is never changed
    },
  );

  test("each op's argument at magnitude 9 is timm's", () => {
    const rngAlways = (v: number): Rng => ({ next: () => v }) as unknown as Rng;
    for (const [key, want] of Object.entries(ref.arguments)) {
      const name = key.slice(0, -1);
      if (want === null) continue;
      // timm negates when random() > 0.5.
      const got = opArgument(name, ref.magnitude, rngAlways(key.endsWith('-') ? 0.9 : 0.1), params);
      expect(got).toBe(want);
    }
  });
});

describe('RandAugment policy', () => {
  test("timm's grammar: rand-m9-mstd0.5-inc1", () => {
    const s = parseRandAugment('rand-m9-mstd0.5-inc1');
    expect(s).toMatchObject({ magnitude: 9, numLayers: 2, prob: 0.5, magnitudeStd: 0.5, magnitudeMax: 10, weights: null });
    expect(s.transforms).toEqual([...RAND_INCREASING_TRANSFORMS]);
    expect(parseRandAugment('rand-n3-m7-p1-mstd101-mmax8')).toMatchObject({
      numLayers: 3,
      magnitude: 7,
      prob: 1,
      magnitudeStd: Infinity,
      magnitudeMax: 8,
    });
    expect(parseRandAugment('rand-tweights').weights!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(() => parseRandAugment('auto-m9')).toThrow(/must start with "rand-"/);
    expect(() => parseRandAugment('rand-x3')).toThrow(/unknown section "x3"/);
  });

  test('the same stream gives the same image, another stream another one', () => {
    const spec = parseRandAugment('rand-m9-mstd0.5-inc1-p1');
    const a = randAugment(image, spec, params, Rng.create(1, 'augment:0:0:ra'));
    expect(sha256(randAugment(image, spec, params, Rng.create(1, 'augment:0:0:ra')).data)).toBe(sha256(a.data));
    const others = [1, 2, 3, 4].map((k) => sha256(randAugment(image, spec, params, Rng.create(1, `augment:0:${k}:ra`)).data));
    expect(others.some((h) => h !== sha256(a.data))).toBe(true);
  });
});
