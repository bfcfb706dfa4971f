import { DataConfig } from './config';
import { fileContentHash } from './content-hash';
import { decodeImageAtSize, imageDimensions, tooSmallError } from './image';
import { createLimiter } from './limiter';
import { loadDataset } from './sources';
import { splitDataset, labelKey } from './split';
import { Dataset, Split, SPLITS, Task } from './types';

export interface AuditOptions {
  /** The experiment seed: the split is the one training would use. */
  seed: number;
  /** Images checked at once (sharp decodes on libuv's thread pool). */
  concurrency?: number;
  /** Called after each image is checked. */
  onProgress?: (done: number, total: number) => void;
}

export interface SplitCounts {
  images: number;
  /** Images per class (multi-label: images with that class). */
  classes: Record<string, number>;
}

export interface AuditImage {
  id: string;
  split: Split;
}

export interface AuditReport {
  source: string;
  task: Task;
  classes: string[];
  /** Images the dataset holds (after missing ones were left out). */
  images: number;
  /** k-fold: the folds and this fold; null without folds. */
  folds: { folds: number; fold: number } | null;
  splits: Record<Split, SplitCounts>;
  /** Files the label files list that do not exist. */
  missing: string[];
  /** Files that cannot be decoded, or are smaller than data.minImageSize. */
  unreadable: Array<{ id: string; file: string; reason: string }>;
  /** Sets of byte-identical files (SHA-256), each image with its split. */
  duplicates: Array<{ hash: string; images: AuditImage[] }>;
  /** Patients with images in more than one split. */
  patientLeakage: Array<{ group: string; images: AuditImage[] }>;
  /** Identical files that sit in more than one split: the same picture trained on and tested. */
  duplicateLeakage: Array<{ hash: string; images: AuditImage[] }>;
  /** The loader's warnings (missing rows, dropped values, ...). */
  warnings: string[];
  /** False when there is leakage or an unreadable image (the data command exits 2). */
  ok: boolean;
}

/** The config with everything that would stop loading at the first problem relaxed, so all are listed. */
function lenient(cfg: DataConfig): DataConfig {
  const relaxed = { ...cfg, skipBadImages: true } as DataConfig & { strict?: boolean };
  if ('strict' in cfg) relaxed.strict = false;
  return relaxed;
}

function countSplits(dataset: Dataset, splitOf: Split[]): Record<Split, SplitCounts> {
  const out = Object.fromEntries(SPLITS.map((s) => [s, { images: 0, classes: Object.fromEntries(dataset.classes.map((c) => [c, 0])) }])) as Record<
    Split,
    SplitCounts
  >;
  dataset.samples.forEach((sample, i) => {
    const c = out[splitOf[i]];
    c.images++;
    if (dataset.task === 'multilabel') dataset.classes.forEach((name, k) => (c.classes[name] += sample.labels![k]));
    else c.classes[labelKey(dataset, sample)]++;
  });
  return out;
}

/**
 * Checks a dataset as training would see it: loads it from its config (missing files collected, not
 * fatal), splits it with the experiment's seed, decodes every image file (corrupt, truncated or
 * too small ones are listed), hashes every file's bytes to find exact duplicates, and lists patients
 * (sample groups) and duplicate files found in more than one split. `ok` is false on leakage or an
 * unreadable image.
 */
export async function auditDataset(cfg: DataConfig, opts: AuditOptions): Promise<AuditReport> {
  const dataset = await loadDataset(lenient(cfg), { seed: opts.seed });
  const indices = splitDataset(dataset, cfg.split, opts.seed);
  const splitOf: Split[] = new Array(dataset.samples.length);
  for (const s of SPLITS) for (const i of indices[s]) splitOf[i] = s;

  const limit = createLimiter(opts.concurrency ?? 4);
  const unreadable: AuditReport['unreadable'] = [];
  const hashes: Array<string | undefined> = new Array(dataset.samples.length);
  let done = 0;
  const total = dataset.samples.length;
  await Promise.all(
    dataset.samples.map((sample, i) =>
      limit(async () => {
        const file = sample.file;
        if (file) {
          try {
            const { width, height } = await imageDimensions(file);
            if (width < cfg.minImageSize || height < cfg.minImageSize) throw tooSmallError(file, width, height, cfg.minImageSize);
            // Decoding at a small size still reads every byte of the file: truncation shows.
            await decodeImageAtSize(file, 16);
            hashes[i] = await fileContentHash(file);
          } catch (e) {
            unreadable.push({ id: sample.id, file, reason: e instanceof Error ? e.message : String(e) });
          }
        }
        opts.onProgress?.(++done, total);
      }),
    ),
  );
  unreadable.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const image = (i: number): AuditImage => ({ id: dataset.samples[i].id, split: splitOf[i] });
  const byHash = new Map<string, number[]>();
  hashes.forEach((h, i) => {
    if (h !== undefined) byHash.set(h, [...(byHash.get(h) ?? []), i]);
  });
  const duplicates = [...byHash].filter(([, is]) => is.length > 1).map(([hash, is]) => ({ hash, images: is.map(image) }));
  const byGroup = new Map<string, number[]>();
  dataset.samples.forEach((s, i) => {
    if (s.group !== undefined) byGroup.set(s.group, [...(byGroup.get(s.group) ?? []), i]);
  });
  const spans = (is: number[]): boolean => new Set(is.map((i) => splitOf[i])).size > 1;
  const patientLeakage = [...byGroup].filter(([, is]) => spans(is)).map(([group, is]) => ({ group, images: is.map(image) }));
  const duplicateLeakage = duplicates.filter((d) => new Set(d.images.map((m) => m.split)).size > 1);

  return {
    source: dataset.source,
    task: dataset.task,
    classes: dataset.classes,
    images: dataset.samples.length,
    folds: cfg.split.folds !== null ? { folds: cfg.split.folds, fold: cfg.split.fold } : null,
    splits: countSplits(dataset, splitOf),
    missing: dataset.missing ?? [],
    unreadable,
    duplicates,
    patientLeakage,
    duplicateLeakage,
    warnings: dataset.warnings,
    ok: unreadable.length === 0 && patientLeakage.length === 0 && duplicateLeakage.length === 0,
  };
}
