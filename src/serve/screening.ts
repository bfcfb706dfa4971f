import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { decodeImageInside, imageDimensions } from '../data/image';
import { patientResult, referralRuleText, ReferralRule } from '../predict/patient';
import { ImagePrediction, predictFiles, probabilityKind } from '../predict/predict';
import { Predictor } from '../predict/predictor';
import { byClass } from '../predict/run';
import { UploadError } from './uploads';

export type Eye = 'right' | 'left';
export const EYES: readonly Eye[] = ['right', 'left'];

/** An uploaded photograph that passed the content checks. */
export interface EyeUpload {
  eye: Eye;
  /** The name the browser sent (shown back, never used as a path). */
  filename: string;
  bytes: Buffer;
  format: string;
}

/** One eye as the results page and the JSON API show it. */
export interface EyeResult {
  eye: Eye;
  filename: string;
  width: number;
  height: number;
  top: { class: string; probability: number };
  probabilities: Record<string, number>;
  /** Multi-label: labels at or above their threshold. */
  positive?: string[];
  /** The photograph (JPEG) and the heatmap over it (PNG, with colour bar), at display size. */
  photo?: Buffer;
  heatmap?: { class: string; method: string; png: Buffer };
}

/** What one screening request gives: each eye, and for two eyes the patient-level result and referral note. */
export interface Screening {
  model: { name: string; checkpoint: string; epoch: number | null; task: string; classes: string[]; probabilities: 'softmax' | 'sigmoid' };
  eyes: EyeResult[];
  patient: null | {
    result: { class: string; probability: number; eye: Eye | 'both' };
    positive?: string[];
    levelText: string;
    eyeDifference: { value: number; class: string };
    referral: { refer: boolean; minEyeDifference: number; reason: string; text: string };
    referableGrade?: { referable: boolean; from: string; text: string };
  };
  /** The referral rule in plain words. */
  referralRule: string;
  /** Why there is no patient-level result (one eye only). */
  note?: string;
}

export interface ScreeningOptions {
  rule: ReferralRule;
  /** Longest side of the photographs and heatmaps returned (pixels). */
  displaySide: number;
  /** Draw heatmaps (default true). */
  heatmaps?: boolean;
  /** Folder for the moment the photographs are on disk (default: the system's temporary folder). */
  tmpDir?: string;
}

/**
 * Predicts one patient's uploaded photographs. The bytes go to a private temporary folder (the data
 * layer prepares files exactly as in training), which is removed before this returns, whatever happens.
 */
export async function screen(predictor: Predictor, uploads: EyeUpload[], options: ScreeningOptions): Promise<Screening> {
  const dir = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'fundus-upload-'));
  try {
    const files = uploads.map((u) => {
      const file = path.join(dir, `${u.eye}.${u.format === 'jpeg' ? 'jpg' : u.format}`);
      fs.writeFileSync(file, u.bytes, { mode: 0o600 });
      return file;
    });
    const heatmaps = (options.heatmaps ?? true) && !predictor.noHeatmaps;
    const results = await predictFiles(predictor, files, { cam: heatmaps ? { maxSide: options.displaySide } : false, batchSize: 2 });
    const eyes: EyeResult[] = [];
    const predictions: Partial<Record<Eye, ImagePrediction>> = {};
    for (let i = 0; i < uploads.length; i++) {
      const r = results[i];
      const u = uploads[i];
      const label = `${u.eye} eye (${u.filename})`;
      if (!r.ok) {
        // The decoder's reason, without the temporary file name or the hint meant for datasets.
        const reason = r.error
          .split('; ')[0]
          .replace(`cannot decode image ${files[i]} `, '')
          .replace(/^\((.*)\)$/, '$1')
          .split(files[i])
          .join('the photograph');
        throw new UploadError(422, `${label}: the photograph cannot be read (${reason})`);
      }
      predictions[u.eye] = r;
      const shown = await decodeImageInside(files[i], options.displaySide);
      const photo = await sharp(shown.data, { raw: { width: shown.width, height: shown.height, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer();
      const size = await imageDimensions(files[i]);
      const eye: EyeResult = {
        eye: u.eye,
        filename: u.filename,
        width: size.width,
        height: size.height,
        top: { class: r.top.name, probability: r.top.probability },
        probabilities: byClass(predictor.classes, r.probabilities),
        photo,
      };
      if (r.positive) eye.positive = r.positive;
      if (r.cam) eye.heatmap = { class: r.cam.className, method: r.cam.method, png: r.cam.png };
      eyes.push(eye);
    }
    eyes.sort((a, b) => EYES.indexOf(a.eye) - EYES.indexOf(b.eye));

    const epoch = Number(predictor.metadata.epoch);
    const screening: Screening = {
      model: {
        name: predictor.config.model.name,
        checkpoint: predictor.checkpoint,
        epoch: Number.isFinite(epoch) ? epoch : null,
        task: predictor.task,
        classes: predictor.classes,
        probabilities: probabilityKind(predictor),
      },
      eyes,
      patient: null,
      referralRule: referralRuleText(options.rule),
    };
    if (predictions.right && predictions.left) {
      const p = patientResult('patient', predictions.right, predictions.left, {
        task: predictor.task,
        classes: predictor.classes,
        referableFrom: predictor.config.eval.referableFrom,
        thresholds: predictor.thresholds,
        rule: options.rule,
      });
      screening.patient = {
        result: { class: p.result.name, probability: p.result.probability, eye: p.result.eye },
        levelText: p.levelText,
        eyeDifference: { value: p.eyeDifference.value, class: p.eyeDifference.className },
        referral: { refer: p.referral.refer, minEyeDifference: p.referral.minEyeDifference, reason: p.referral.reason, text: p.referral.text },
      };
      if (p.positive) screening.patient.positive = p.positive;
      if (p.referableGrade) screening.patient.referableGrade = p.referableGrade;
    } else {
      screening.note = 'Only one eye was uploaded: the patient-level result and the eye-difference referral rule need both eyes.';
    }
    return screening;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The screening as JSON: images as base64 (PNG heatmaps, JPEG photographs) unless left out. */
export function screeningJson(s: Screening, withImages: boolean): unknown {
  return {
    ...s,
    eyes: s.eyes.map(({ photo, heatmap, ...rest }) => ({
      ...rest,
      ...(withImages && photo ? { photo_jpeg_base64: photo.toString('base64') } : {}),
      ...(heatmap
        ? { heatmap: { class: heatmap.class, method: heatmap.method, ...(withImages ? { png_base64: heatmap.png.toString('base64') } : {}) } }
        : {}),
    })),
  };
}
