import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/schema';
import { UserError } from '../util/errors';
import { makeDirs } from '../util/fs';
import { expandImageInputs } from './inputs';
import { EyePair, LoneEye, pairsByName, readPairsCsv } from './pairs';
import { DEFAULT_REFERRAL_RULE, patientResult, PatientResult, referralRuleText, ReferralRule } from './patient';
import { ImageResult, predictFiles, probabilityKind } from './predict';
import { LoadPredictorOptions, loadPredictor, Predictor } from './predictor';
import { ttaViews } from './tta';

export interface PredictRunOptions extends LoadPredictorOptions {
  /** Image files, folders and glob patterns. */
  images: string[];
  /** Explicit eye pairs [right, left]. */
  pairs?: Array<[string, string]>;
  /** A CSV of eye pairs (see readPairsCsv). */
  pairsCsv?: string;
  /** Pair the images named `<id>_right` / `<id>_left` (default true). */
  pairByName?: boolean;
  tta?: boolean;
  /** Write heatmap PNGs (the photograph's size) into this folder. */
  camDir?: string;
  /** The referral rule's threshold (default: the run config's predict.referral.minEyeDifference, else 0.1). */
  minEyeDifference?: number;
}

/** One image in a report: probabilities by class name, the heatmap as a file. */
export type ReportedImage =
  | {
      file: string;
      ok: true;
      probabilities: Record<string, number>;
      top: { class: string; probability: number };
      positive?: string[];
      cam?: { file: string; class: string; method: string };
    }
  | { file: string; ok: false; error: string };

export type ReportedPatient =
  | (Omit<PatientResult, 'right' | 'left' | 'probabilities'> & { ok: true; right: string; left: string; probabilities: Record<string, number> })
  | { patient: string; ok: false; right: string; left: string; error: string };

export interface PredictReport {
  checkpoint: string;
  model: string;
  epoch: number | null;
  task: string;
  classes: string[];
  /** softmax over classes, or a sigmoid per label (multi-label). */
  probabilities: 'softmax' | 'sigmoid';
  /** The views averaged (just "original" without TTA). */
  tta: string[];
  images: ReportedImage[];
  patients: ReportedPatient[];
  /** The referral rule, in plain words (present when there are patients). */
  referralRule?: string;
  /** Inputs that named no image (missing file, empty folder, pattern matching nothing). */
  inputProblems: Array<{ file: string; error: string }>;
  /** Images named as one eye (`<id>_left`) that are in no pair, with the reason they have no patient result. */
  unpairedEyes: LoneEye[];
}

/** The referral rule of a run: the config's predict.referral.minEyeDifference when it has one, else the seed's 0.1. */
export function referralRuleFor(config: ExperimentConfig, override?: number): ReferralRule {
  if (override !== undefined) {
    if (!Number.isFinite(override) || override < 0 || override > 1)
      throw new UserError(`--min-eye-difference must be between 0 and 1, got ${override}`);
    return { minEyeDifference: override };
  }
  const fromConfig = (config as { predict?: { referral?: { minEyeDifference?: unknown } } }).predict?.referral?.minEyeDifference;
  return typeof fromConfig === 'number' ? { minEyeDifference: fromConfig } : DEFAULT_REFERRAL_RULE;
}

/** Class name -> value. */
export const byClass = (classes: string[], values: number[]): Record<string, number> => Object.fromEntries(classes.map((c, i) => [c, values[i]]));

/** A heatmap file name in `dir` for `file` that no other image of this run has taken. */
function camFileName(dir: string, file: string, taken: Set<string>): string {
  const base = path.basename(file, path.extname(file));
  let name = `${base}_cam.png`;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}_cam.png`;
  taken.add(name);
  return path.join(dir, name);
}

/** Everything `fundus-train predict` does: expand inputs, predict, pair the eyes, write heatmaps. */
export async function predict(options: PredictRunOptions): Promise<PredictReport> {
  const expanded = expandImageInputs(options.images);
  const explicitPairs: EyePair[] = (options.pairs ?? []).map(([r, l], i) => ({
    patient: `pair ${i + 1}`,
    right: path.resolve(r),
    left: path.resolve(l),
  }));
  const csvPairs = options.pairsCsv ? readPairsCsv(options.pairsCsv) : [];
  const byName = (options.pairByName ?? true) ? pairsByName(expanded.files) : { pairs: [], lone: [] };
  const pairs = [...explicitPairs, ...csvPairs, ...byName.pairs];
  // An eye given in --pair or --pairs has its patient result there.
  const inPairs = new Set(pairs.flatMap((p) => [p.right, p.left]));
  const unpairedEyes = byName.lone.filter((l) => !inPairs.has(l.file));
  // Every image once, in the order given, pair files after the loose images.
  const files = [...new Set([...expanded.files, ...pairs.flatMap((p) => [p.right, p.left])])];
  if (files.length === 0) {
    const why = expanded.problems.map((p) => `${p.file}: ${p.error}`).join('; ');
    throw new UserError(`no images to predict on${why ? ` (${why})` : ''}: name image files, folders or quoted glob patterns`);
  }

  // Before the model loads: a folder that cannot be made fails at once.
  if (options.camDir) makeDirs(options.camDir);
  const predictor = await loadPredictor(options);
  try {
    return await predictWith(predictor, files, pairs, { inputProblems: expanded.problems, unpairedEyes }, options);
  } finally {
    predictor.model.dispose();
  }
}

async function predictWith(
  predictor: Predictor,
  files: string[],
  pairs: EyePair[],
  noted: Pick<PredictReport, 'inputProblems' | 'unpairedEyes'>,
  options: PredictRunOptions,
): Promise<PredictReport> {
  const rule = referralRuleFor(predictor.config, options.minEyeDifference);
  const results = await predictFiles(predictor, files, { tta: options.tta, cam: Boolean(options.camDir) });
  const byFile = new Map<string, ImageResult>(results.map((r) => [r.file, r]));
  const { classes } = predictor;

  const taken = new Set<string>();
  const images: ReportedImage[] = results.map((r) => {
    if (!r.ok) return r;
    const out: ReportedImage = {
      file: r.file,
      ok: true,
      probabilities: byClass(classes, r.probabilities),
      top: { class: r.top.name, probability: r.top.probability },
    };
    if (r.positive) out.positive = r.positive;
    if (r.cam && options.camDir) {
      const camFile = camFileName(path.resolve(options.camDir), r.file, taken);
      fs.writeFileSync(camFile, r.cam.png);
      out.cam = { file: camFile, class: r.cam.className, method: r.cam.method };
    }
    return out;
  });

  const ctx = { task: predictor.task, classes, referableFrom: predictor.config.eval.referableFrom, thresholds: predictor.thresholds, rule };
  const patients: ReportedPatient[] = pairs.map((pair) => {
    const right = byFile.get(pair.right)!;
    const left = byFile.get(pair.left)!;
    if (!right.ok || !left.ok) {
      const error = [!right.ok ? `right eye: ${right.error}` : '', !left.ok ? `left eye: ${left.error}` : ''].filter(Boolean).join('; ');
      return { patient: pair.patient, ok: false, right: pair.right, left: pair.left, error };
    }
    const p = patientResult(pair.patient, right, left, ctx);
    return { ...p, ok: true, right: pair.right, left: pair.left, probabilities: byClass(classes, p.probabilities) };
  });

  const epoch = Number(predictor.metadata.epoch);
  return {
    checkpoint: predictor.checkpoint,
    model: predictor.config.model.name,
    epoch: Number.isFinite(epoch) ? epoch : null,
    task: predictor.task,
    classes,
    probabilities: probabilityKind(predictor),
    tta: ttaViews(predictor.config, options.tta ?? false).map((v) => v.name),
    images,
    patients,
    referralRule: pairs.length > 0 ? referralRuleText(rule) : undefined,
    ...noted,
  };
}
