import { Rng } from '../../util/random';
import { RgbImage } from '../types';
import * as ops from './pil-ops';
import { Interpolation } from './pil-ops';

/**
 * timm's RandAugment (timm.data.auto_augment.rand_augment_transform): its config-string grammar, op
 * sets, magnitude-to-argument rules and per-op draws, with the ops on 8-bit RGB arrays (pil-ops.ts).
 * Draws come from our seeded stream instead of Python's `random`, in timm's order per op: apply or
 * not, magnitude noise, sign, interpolation.
 */

const LEVEL_DENOM = 10;

/** Transform sets, as timm names them. */
export const RAND_TRANSFORMS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'Posterize',
  'Solarize',
  'SolarizeAdd',
  'Color',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateXRel',
  'TranslateYRel',
] as const;
export const RAND_INCREASING_TRANSFORMS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'PosterizeIncreasing',
  'SolarizeIncreasing',
  'SolarizeAdd',
  'ColorIncreasing',
  'ContrastIncreasing',
  'BrightnessIncreasing',
  'SharpnessIncreasing',
  'ShearX',
  'ShearY',
  'TranslateXRel',
  'TranslateYRel',
] as const;
/** timm's 'weights' set: choice probabilities (ops drawn without replacement). */
const RAND_WEIGHTED_0: Record<string, number> = {
  Rotate: 3,
  ShearX: 2,
  ShearY: 2,
  TranslateXRel: 1,
  TranslateYRel: 1,
  ColorIncreasing: 0.25,
  SharpnessIncreasing: 0.25,
  AutoContrast: 0.25,
  SolarizeIncreasing: 0.05,
  SolarizeAdd: 0.05,
  ContrastIncreasing: 0.05,
  BrightnessIncreasing: 0.05,
  Equalize: 0.05,
  PosterizeIncreasing: 0.05,
  Invert: 0.05,
};

export interface RandAugmentSpec {
  /** Magnitude 0..10 (timm 'm', default 10). */
  magnitude: number;
  /** Ops applied per image (timm 'n', default 2). */
  numLayers: number;
  /** Probability of each chosen op (timm 'p', default 0.5). */
  prob: number;
  /** Std of the Gaussian noise on the magnitude (timm 'mstd'); Infinity = uniform in [0, m]. */
  magnitudeStd: number;
  /** Upper bound of the noisy magnitude (timm 'mmax', default 10). */
  magnitudeMax: number;
  transforms: string[];
  /** Choice probabilities (the 'weights' set), or null for uniform choice with replacement. */
  weights: number[] | null;
}

export interface RandAugmentParams {
  /** Pixel resampling of the geometric ops; 'random' picks bilinear or bicubic per op, as timm does by default. */
  interpolation: Interpolation | 'random';
  /** Colour uncovered by geometric ops (timm: the dataset mean in 0-255). */
  fill: readonly [number, number, number];
  /** Relative translation at full magnitude (timm translate_pct). */
  translatePct: number;
}

/** Parses timm's config string, e.g. 'rand-m9-mstd0.5-inc1'; throws with the section it cannot read. */
export function parseRandAugment(config: string): RandAugmentSpec {
  const parts = config.split('-');
  if (parts[0] !== 'rand') throw new Error(`"${config}" must start with "rand-" (e.g. rand-m9-mstd0.5-inc1)`);
  const spec: RandAugmentSpec = {
    magnitude: LEVEL_DENOM,
    numLayers: 2,
    prob: 0.5,
    magnitudeStd: 0,
    magnitudeMax: LEVEL_DENOM,
    transforms: [],
    weights: null,
  };
  let increasing = false;
  let set: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.startsWith('t')) {
      set = part.slice(1);
      continue;
    }
    const m = /^([a-z]+)(\d.*)$/.exec(part);
    if (!m) throw new Error(`"${config}": cannot read section "${part}"`);
    const [, key, val] = m;
    const num = Number(val);
    if (!Number.isFinite(num)) throw new Error(`"${config}": section "${part}" needs a number`);
    if (key === 'mstd') spec.magnitudeStd = num > 100 ? Infinity : num;
    else if (key === 'mmax') spec.magnitudeMax = Math.trunc(num);
    else if (key === 'inc') increasing = Boolean(Math.trunc(num));
    else if (key === 'm') spec.magnitude = Math.trunc(num);
    else if (key === 'n') spec.numLayers = Math.trunc(num);
    else if (key === 'p') spec.prob = num;
    else throw new Error(`"${config}": unknown section "${part}" (m, n, p, mstd, mmax, inc, t)`);
  }
  if (set === 'weights') {
    spec.transforms = Object.keys(RAND_WEIGHTED_0);
    const total = Object.values(RAND_WEIGHTED_0).reduce((s, v) => s + v, 0);
    spec.weights = Object.values(RAND_WEIGHTED_0).map((v) => v / total);
  } else if (set === null || set === '') {
    spec.transforms = [...(increasing ? RAND_INCREASING_TRANSFORMS : RAND_TRANSFORMS)];
  } else {
    throw new Error(`"${config}": transform set "t${set}" is not supported (only tweights)`);
  }
  return spec;
}

const negate = (v: number, rng: Rng): number => (rng.next() > 0.5 ? -v : v);
const enhance = (m: number): number => (m / LEVEL_DENOM) * 1.8 + 0.1;
const enhanceIncreasing = (m: number, rng: Rng): number => Math.max(0.1, 1.0 + negate((m / LEVEL_DENOM) * 0.9, rng));
const posterizeBits = (m: number): number => Math.trunc((m / LEVEL_DENOM) * 4);
const solarizeThreshold = (m: number): number => Math.min(256, Math.trunc((m / LEVEL_DENOM) * 256));

/** One op: its argument from the magnitude (timm's *_level_to_arg) and what it does with it. */
interface OpSpec {
  level(m: number, rng: Rng, p: RandAugmentParams): number;
  apply(img: RgbImage, arg: number, interpolation: Interpolation, p: RandAugmentParams): RgbImage;
  geometric?: boolean;
}

const OPS: Record<string, OpSpec> = {
  AutoContrast: { level: () => 0, apply: (img) => ops.autoContrast(img) },
  Equalize: { level: () => 0, apply: (img) => ops.equalize(img) },
  Invert: { level: () => 0, apply: (img) => ops.invert(img) },
  Rotate: { level: (m, rng) => negate((m / LEVEL_DENOM) * 30, rng), apply: (img, a, i, p) => ops.rotate(img, a, i, p.fill), geometric: true },
  Posterize: { level: posterizeBits, apply: (img, a) => ops.posterize(img, a) },
  PosterizeIncreasing: { level: (m) => 4 - posterizeBits(m), apply: (img, a) => ops.posterize(img, a) },
  PosterizeOriginal: { level: (m) => posterizeBits(m) + 4, apply: (img, a) => ops.posterize(img, a) },
  Solarize: { level: solarizeThreshold, apply: (img, a) => ops.solarize(img, a) },
  SolarizeIncreasing: { level: (m) => 256 - solarizeThreshold(m), apply: (img, a) => ops.solarize(img, a) },
  SolarizeAdd: { level: (m) => Math.min(128, Math.trunc((m / LEVEL_DENOM) * 110)), apply: (img, a) => ops.solarizeAdd(img, a) },
  Color: { level: enhance, apply: (img, a) => ops.color(img, a) },
  ColorIncreasing: { level: enhanceIncreasing, apply: (img, a) => ops.color(img, a) },
  Contrast: { level: enhance, apply: (img, a) => ops.contrast(img, a) },
  ContrastIncreasing: { level: enhanceIncreasing, apply: (img, a) => ops.contrast(img, a) },
  Brightness: { level: enhance, apply: (img, a) => ops.brightness(img, a) },
  BrightnessIncreasing: { level: enhanceIncreasing, apply: (img, a) => ops.brightness(img, a) },
  Sharpness: { level: enhance, apply: (img, a) => ops.sharpness(img, a) },
  SharpnessIncreasing: { level: enhanceIncreasing, apply: (img, a) => ops.sharpness(img, a) },
  ShearX: {
    level: (m, rng) => negate((m / LEVEL_DENOM) * 0.3, rng),
    apply: (img, a, i, p) => ops.affine(img, [1, a, 0, 0, 1, 0], i, p.fill),
    geometric: true,
  },
  ShearY: {
    level: (m, rng) => negate((m / LEVEL_DENOM) * 0.3, rng),
    apply: (img, a, i, p) => ops.affine(img, [1, 0, 0, a, 1, 0], i, p.fill),
    geometric: true,
  },
  TranslateXRel: {
    level: (m, rng, p) => negate((m / LEVEL_DENOM) * p.translatePct, rng),
    apply: (img, a, i, p) => ops.affine(img, [1, 0, a * img.width, 0, 1, 0], i, p.fill),
    geometric: true,
  },
  TranslateYRel: {
    level: (m, rng, p) => negate((m / LEVEL_DENOM) * p.translatePct, rng),
    apply: (img, a, i, p) => ops.affine(img, [1, 0, 0, 0, 1, a * img.height], i, p.fill),
    geometric: true,
  },
};

export const RAND_AUGMENT_OPS = Object.keys(OPS);

/** Applies one op at a fixed argument (what the reference test renders). */
export function applyOp(name: string, img: RgbImage, arg: number, interpolation: Interpolation, params: RandAugmentParams): RgbImage {
  const op = OPS[name];
  if (!op) throw new Error(`unknown RandAugment op ${name}`);
  return op.apply(img, arg, interpolation, params);
}

/** The argument timm's level function gives an op at magnitude m (its sign drawn from rng). */
export function opArgument(name: string, magnitude: number, rng: Rng, params: RandAugmentParams): number {
  return OPS[name].level(magnitude, rng, params);
}

function chooseOps(spec: RandAugmentSpec, rng: Rng): string[] {
  if (!spec.weights) return Array.from({ length: spec.numLayers }, () => spec.transforms[rng.int(spec.transforms.length)]);
  // Without replacement, in proportion to the weights (np.random.choice(replace=False, p=...)).
  const names = [...spec.transforms];
  const weights = [...spec.weights];
  const chosen: string[] = [];
  for (let k = 0; k < Math.min(spec.numLayers, names.length); k++) {
    const total = weights.reduce((s, v) => s + v, 0);
    let u = rng.next() * total;
    let i = 0;
    while (i < weights.length - 1 && u >= weights[i]) u -= weights[i++];
    chosen.push(names[i]);
    names.splice(i, 1);
    weights.splice(i, 1);
  }
  return chosen;
}

/** One image through RandAugment: numLayers ops, each applied with probability prob at a noisy magnitude. */
export function randAugment(img: RgbImage, spec: RandAugmentSpec, params: RandAugmentParams, rng: Rng): RgbImage {
  let out = img;
  for (const name of chooseOps(spec, rng)) {
    if (spec.prob < 1 && rng.next() > spec.prob) continue;
    let m = spec.magnitude;
    if (spec.magnitudeStd === Infinity) m = rng.uniform(0, m);
    else if (spec.magnitudeStd > 0) m = m + spec.magnitudeStd * rng.normal();
    m = Math.max(0, Math.min(m, spec.magnitudeMax));
    const op = OPS[name];
    const arg = op.level(m, rng, params);
    const interpolation = params.interpolation === 'random' ? (rng.next() < 0.5 ? 'bilinear' : 'bicubic') : params.interpolation;
    out = op.apply(out, arg, interpolation, params);
  }
  return out;
}
