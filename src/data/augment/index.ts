import { Rng } from '../../util/random';
import { RgbImage } from '../types';
import { parseRandAugment, randAugment, RandAugmentParams, RandAugmentSpec } from './rand-augment';
import { RandAugmentConfig } from './schema';

export { randomErase } from './random-erasing';
export type { RandomErasingOptions } from './random-erasing';

/** Python's round(), as timm uses for the fill colour: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A RandAugment ready to apply: timm's create_transform fills with the dataset mean and translates up to 45%. */
export interface PreparedRandAugment {
  spec: RandAugmentSpec;
  params: RandAugmentParams;
  apply(img: RgbImage, rng: Rng): RgbImage;
}

export function prepareRandAugment(cfg: NonNullable<RandAugmentConfig>, mean: readonly number[]): PreparedRandAugment {
  const spec = parseRandAugment(cfg.policy);
  const fill = mean.map((m) => Math.min(255, roundHalfEven(255 * m))) as [number, number, number];
  const params: RandAugmentParams = { interpolation: cfg.interpolation, fill, translatePct: 0.45 };
  return { spec, params, apply: (img, rng) => randAugment(img, spec, params, rng) };
}
