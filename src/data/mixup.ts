import { z } from 'zod';
import { sampleBeta } from '../util/distributions';
import { Rng } from '../util/random';

const { floor, fround, sqrt, max, min } = Math;

export const mixupConfigSchema = z
  .strictObject({
    /** Mixup's Beta(α, α) (timm mixup_alpha); 0 = no mixup. */
    alpha: z.number().min(0).default(1),
    /** CutMix's Beta(α, α) (timm cutmix_alpha); 0 = no CutMix. */
    cutmixAlpha: z.number().min(0).default(0),
    /** CutMix box side as [min, max] fractions of the image, instead of from λ (timm cutmix_minmax; turns CutMix on). */
    cutmixMinmax: z
      .tuple([z.number().gt(0).lt(1), z.number().gt(0).lt(1)])
      .nullable()
      .default(null),
    /** Probability of mixing a batch (or element, or pair). */
    prob: z.number().min(0).max(1).default(1),
    /** With both on: probability of CutMix instead of mixup. */
    switchProb: z.number().min(0).max(1).default(0.5),
    /** batch: one λ for the batch; pair: one per pair (i, n−1−i); elem: one per image. */
    mode: z.enum(['batch', 'pair', 'elem']).default('batch'),
    /** CutMix: λ from the box's area after clipping to the image (timm correct_lam). */
    correctLam: z.boolean().default(true),
    /** Smoothing of the mixed targets (timm's Mixup default 0.1); combine with train.labelSmoothing 0. */
    labelSmoothing: z.number().min(0).lt(1).default(0.1),
  })
  .refine((c) => c.alpha > 0 || c.cutmixAlpha > 0 || c.cutmixMinmax !== null, {
    message: 'alpha, cutmixAlpha or cutmixMinmax must turn something on',
  })
  .refine((c) => c.cutmixMinmax === null || c.cutmixMinmax[0] < c.cutmixMinmax[1], {
    message: 'cutmixMinmax must be [min, max] with min < max',
    path: ['cutmixMinmax'],
  });

export type MixupConfig = z.infer<typeof mixupConfigSchema>;

/** A CutMix box [yl, yh) × [xl, xh) in pixels. */
export interface Box {
  yl: number;
  yh: number;
  xl: number;
  xh: number;
}

/** One mixing decision: weight λ of the image itself, and the CutMix box (null = blend). */
export interface MixDecision {
  lam: number;
  box: Box | null;
}

/** The decisions for one batch: one per image (the partner of image i is image n − 1 − i). */
export type MixPlan = MixDecision[];

/** timm rand_bbox: a box of side √(1 − λ)·size around a uniform centre, clipped to the image. */
export function cutmixBox(h: number, w: number, lam: number, cy: number, cx: number): Box {
  const ratio = sqrt(1 - lam);
  const cutH = floor(h * ratio);
  const cutW = floor(w * ratio);
  const clip = (v: number, hi: number): number => min(max(v, 0), hi);
  return {
    yl: clip(cy - floor(cutH / 2), h),
    yh: clip(cy + floor(cutH / 2), h),
    xl: clip(cx - floor(cutW / 2), w),
    xh: clip(cx + floor(cutW / 2), w),
  };
}

function drawBox(cfg: MixupConfig, h: number, w: number, lam: number, rng: Rng): { box: Box; lam: number } {
  let box: Box;
  if (cfg.cutmixMinmax) {
    // timm rand_bbox_minmax: side uniform in [⌊size·min⌋, ⌊size·max⌋), corner uniform where it fits.
    const [lo, hi] = cfg.cutmixMinmax;
    const cutH = floor(h * lo) + rng.int(floor(h * hi) - floor(h * lo));
    const cutW = floor(w * lo) + rng.int(floor(w * hi) - floor(w * lo));
    const yl = rng.int(h - cutH);
    const xl = rng.int(w - cutW);
    box = { yl, yh: yl + cutH, xl, xh: xl + cutW };
  } else {
    box = cutmixBox(h, w, lam, rng.int(h), rng.int(w));
  }
  return { box, lam: cfg.correctLam || cfg.cutmixMinmax ? boxLam(h, w, box) : lam };
}

/** The share of the image outside the box: λ corrected for a clipped box (timm correct_lam). */
export function boxLam(h: number, w: number, box: Box): number {
  return 1 - ((box.yh - box.yl) * (box.xh - box.xl)) / (h * w);
}

/** One λ and whether it is CutMix, as timm draws them (mixup and CutMix each with their own α). */
function drawOne(cfg: MixupConfig, h: number, w: number, rng: Rng): MixDecision {
  const cutmixOn = cfg.cutmixAlpha > 0 || cfg.cutmixMinmax !== null;
  const cutmixAlpha = cfg.cutmixMinmax ? 1 : cfg.cutmixAlpha;
  if (!(rng.next() < cfg.prob)) return { lam: 1, box: null };
  const useCutmix = cfg.alpha > 0 && cutmixOn ? rng.next() < cfg.switchProb : cutmixOn;
  const lam = sampleBeta(rng, useCutmix ? cutmixAlpha : cfg.alpha, useCutmix ? cutmixAlpha : cfg.alpha);
  if (!useCutmix) return { lam, box: null };
  return drawBox(cfg, h, w, lam, rng);
}

/**
 * The random part of mixing one batch of n images of h × w, drawn from its own stream (the caller keys
 * it by epoch and batch, so a resumed run mixes identically). Per image for elem, per pair for pair
 * (the second of a pair reuses the first's decision), one for the batch.
 */
export function drawMixPlan(cfg: MixupConfig, n: number, h: number, w: number, rng: Rng): MixPlan {
  if (cfg.mode === 'batch') {
    const d = drawOne(cfg, h, w, rng);
    return Array.from({ length: n }, () => d);
  }
  const plan: MixPlan = new Array(n);
  const count = cfg.mode === 'pair' ? floor(n / 2) : n;
  for (let i = 0; i < count; i++) {
    const d = drawOne(cfg, h, w, rng);
    // timm keeps per-element λ in a float32 array.
    plan[i] = { lam: fround(d.lam), box: d.box };
  }
  if (cfg.mode === 'pair') {
    for (let i = 0; i < count; i++) plan[n - 1 - i] = plan[i];
    if (n % 2 === 1) plan[count] = { lam: 1, box: null }; // the middle image of an odd batch has no partner
  }
  return plan;
}

/**
 * Applies a plan to a batch: images NHWC float32 (mixed in place: image i with image n − 1 − i, from
 * the unmixed batch), and returns the soft targets. `targets` is n × k one-hot (single-label) or 0/1
 * (multi-label). Targets are smoothed first as timm's mixup_target does: off = ε/k, on = 1 − ε + ε/k
 * for single-label; per label off = ε/2, on = 1 − ε/2 for multi-label. The blend has timm's float32
 * rounding: x·λ + x'·(1 − λ) with each product and the sum rounded to float32.
 */
export function applyMixPlan(
  x: Float32Array,
  targets: Float32Array,
  n: number,
  h: number,
  w: number,
  plan: MixPlan,
  labelSmoothing: number,
  multilabel: boolean,
): Float32Array {
  const pixels = h * w * 3;
  const k = targets.length / n;
  const orig = x.slice(0, n * pixels);
  for (let i = 0; i < n; i++) {
    const { lam, box } = plan[i];
    if (lam === 1) continue;
    const j = n - 1 - i;
    const a = i * pixels;
    const b = j * pixels;
    if (box) {
      for (let yy = box.yl; yy < box.yh; yy++) {
        const row = (yy * w + box.xl) * 3;
        const end = (yy * w + box.xh) * 3;
        for (let p = row; p < end; p++) x[a + p] = orig[b + p];
      }
    } else {
      const la = fround(lam);
      const lb = fround(1 - lam);
      for (let p = 0; p < pixels; p++) x[a + p] = fround(fround(orig[a + p] * la) + fround(orig[b + p] * lb));
    }
  }
  const off = multilabel ? labelSmoothing / 2 : labelSmoothing / k;
  const on = multilabel ? 1 - labelSmoothing / 2 : fround(1 - labelSmoothing + off);
  const smooth = (v: number): number => fround(v > 0.5 ? on : off);
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const j = n - 1 - i;
    const la = fround(plan[i].lam);
    const lb = fround(1 - plan[i].lam);
    for (let c = 0; c < k; c++) out[i * k + c] = fround(fround(smooth(targets[i * k + c]) * la) + fround(smooth(targets[j * k + c]) * lb));
  }
  return out;
}
