import sharp from 'sharp';
import { computeMetrics, MetricsReport } from '../../../src/eval/compute-metrics';
import { Rng } from '../../../src/util/random';

/**
 * Small fixed reports with ROC curves: binary, 4-class (every class present, classes told
 * apart imperfectly so the curves are distinct), multi-label with a label never positive.
 */
export function binaryReport(): MetricsReport {
  const labels = [0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0];
  const p = [0.1, 0.3, 0.6, 0.8, 0.4, 0.2, 0.9, 0.35, 0.15, 0.7, 0.55, 0.45];
  return computeMetrics({ task: 'binary', classes: ['non_glaucoma', 'glaucoma'], labels, probs: p.map((x) => [1 - x, x]), curves: true });
}

export const GRADES = ['No DR', 'Mild', 'Moderate', 'Proliferative DR'];

export function multiclassReport(): MetricsReport {
  const rng = Rng.create(7, 'synthetic');
  const labels = Array.from({ length: 60 }, (_, i) => i % 4);
  // the signal for the true class grows with the class index: class 0 is the hardest to rank
  const probs = labels.map((l) => GRADES.map((_, c) => rng.next() + (c === l ? 0.25 * (c + 1) : 0))).map(normalise);
  return computeMetrics({ task: 'multiclass', classes: GRADES, labels, probs, curves: true });
}

export const LABELS = ['cataract', 'glaucoma', 'diabetic_retinopathy', 'normal_fundus'];

export function multilabelReport(): MetricsReport {
  const rng = Rng.create(8, 'synthetic');
  // label 2 (diabetic_retinopathy) is never positive: its AUC is undefined
  const targets = Array.from({ length: 40 }, (_, i) => [i % 3 === 0 ? 1 : 0, i % 2, 0, i % 5 === 0 ? 1 : 0]);
  const probs = targets.map((row) => row.map((y, j) => Math.min(1, 0.6 * rng.next() + (y ? 0.15 * (j + 1) : 0))));
  return computeMetrics({ task: 'multilabel', classes: LABELS, targets, probs, curves: true });
}

/** A binary report whose scores separate the classes perfectly (AUC 1) or carry no information (AUC 0.5). */
export function separationReport(perfect: boolean): MetricsReport {
  const labels = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
  const p = perfect ? labels.map((l, i) => (l ? 0.6 + 0.03 * i : 0.1 + 0.03 * i)) : labels.map(() => 0.5);
  return computeMetrics({ task: 'binary', classes: ['negative', 'positive'], labels, probs: p.map((x) => [1 - x, x]), curves: true });
}

function normalise(row: number[]): number[] {
  const s = row.reduce((a, b) => a + b, 0);
  return row.map((v) => v / s);
}

/** Synthetic metrics.jsonl records: a linear probe then fine-tuning, AUC undefined at the first epoch. */
export function epochRecords(n = 8): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    phase: i < 2 ? 'linear-probe' : 'finetune',
    lr: i < 2 ? 1e-3 : 3e-4 * 0.5 ** Math.floor((i - 2) / 2),
    train_loss: 1.1 * Math.exp(-i / 3) + 0.1,
    val_loss: 1.0 * Math.exp(-i / 4) + 0.3,
    val_macro_auc: i === 0 ? null : 0.6 + 0.3 * (1 - Math.exp(-i / 2)),
    val_accuracy: 0.5 + 0.3 * (1 - Math.exp(-i / 3)),
    seconds: 12.5,
    images_per_s: 40,
  }));
}

export interface PngSummary {
  width: number;
  height: number;
  /** Mean over channels of the per-channel standard deviation of the pixel values. */
  stdev: number;
  /** Distinct RGB colours. */
  colours: number;
  /** Pixels within `tolerance` of each of the given colours ('#rrggbb'). */
  near: (hex: string, tolerance?: number) => number;
  /** Raw RGB pixels. */
  rgb: Uint8Array;
}

/** |a - b| <= t without Math.abs, which runs ~30x slower inside jest's test context. */
function close(a: number, b: number, t: number): boolean {
  const d = a - b;
  return d <= t && d >= -t;
}

/** Decodes a PNG with sharp and summarises its pixels, to tell a drawn plot from a blank one. */
export async function summarisePng(png: Buffer): Promise<PngSummary> {
  const raw = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { info } = raw;
  const data = raw.data;
  const stats = await sharp(png).removeAlpha().stats();
  // one bit per RGB colour: a Set of millions of pixels would take seconds
  const seen = new Uint8Array(1 << 21);
  let colours = 0;
  for (let i = 0; i < data.length; i += 3) {
    const c = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    if (!(seen[c >> 3] & (1 << (c & 7)))) {
      seen[c >> 3] |= 1 << (c & 7);
      colours++;
    }
  }
  const near = (hex: string, tolerance = 12) => {
    const [r, g, b] = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
    let count = 0;
    for (let i = 0; i < data.length; i += 3) {
      if (close(data[i], r, tolerance) && close(data[i + 1], g, tolerance) && close(data[i + 2], b, tolerance)) count++;
    }
    return count;
  };
  return {
    width: info.width,
    height: info.height,
    stdev: stats.channels.reduce((a, c) => a + c.stdev, 0) / stats.channels.length,
    colours,
    near,
    rgb: data,
  };
}

/** Fraction of pixels where two same-size RGB images differ by more than 32 in some channel. */
export function differingFraction(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error('images differ in size');
  let differ = 0;
  for (let i = 0; i < a.length; i += 3) {
    if (!close(a[i], b[i], 32) || !close(a[i + 1], b[i + 1], 32) || !close(a[i + 2], b[i + 2], 32)) differ++;
  }
  return differ / (a.length / 3);
}
