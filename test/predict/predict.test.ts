import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { loadPredictor, Predictor } from '../../src/predict/predictor';
import { predictFiles } from '../../src/predict/predict';
import { predict } from '../../src/predict/run';
import { gradCam } from '../../src/predict/gradcam';
import { VisionTransformer } from '../../src/models/vit';
import { EfficientNet } from '../../src/models/efficientnet';
import { formatPredictReport } from '../../src/predict/format';
import { EYEPACS, TINY_CNN, TINY_VIT, trainTinyRun, writeFundus } from './tiny-runs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-predict-'));
const photos = path.join(tmp, 'photos');
let vitRun: string;
let cnnRun: string;
let vit: Predictor;
let cnn: Predictor;

beforeAll(async () => {
  vitRun = await trainTinyRun(path.join(tmp, 'vit'), 'dr', TINY_VIT, { eval: { referableFrom: 1 } });
  cnnRun = await trainTinyRun(path.join(tmp, 'cnn'), 'glaucoma', TINY_CNN);
  vit = await loadPredictor({ run: vitRun });
  cnn = await loadPredictor({ run: cnnRun });
  await writeFundus(path.join(photos, 'p1_right.png'), 0, 120, 90);
  await writeFundus(path.join(photos, 'p1_left.png'), 1, 120, 90);
  await writeFundus(path.join(photos, 'nested', 'p2_right.jpg'), 2, 64, 80);
  await writeFundus(path.join(photos, 'nested', 'p2_left.jpg'), 3, 64, 80);
  fs.writeFileSync(path.join(photos, 'notes.txt'), 'not an image');
  // A text file with an image's name: unreadable, reported, the rest still run.
  fs.writeFileSync(path.join(photos, 'broken.jpg'), 'this is text, not a JPEG');
});

afterAll(() => {
  vit?.model.dispose();
  cnn?.model.dispose();
});

describe('predictFiles', () => {
  test('softmax probabilities sum to 1 and the top class is the largest; an unreadable file is reported in its place', async () => {
    const files = [path.join(photos, 'p1_right.png'), path.join(photos, 'broken.jpg'), path.join(photos, 'p1_left.png')];
    const results = await predictFiles(vit, files, { batchSize: 2 });
    expect(results.map((r) => r.file)).toEqual(files);
    expect(results[1].ok).toBe(false);
    if (!results[1].ok) expect(results[1].error).toMatch(/cannot decode image .*broken\.jpg/);
    for (const r of [results[0], results[2]]) {
      if (!r.ok) throw new Error(`expected a prediction for ${r.file}: ${r.error}`);
      expect(r.probabilities).toHaveLength(3);
      expect(r.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(r.top.probability).toBe(Math.max(...r.probabilities));
      expect(r.top.name).toBe(vit.classes[r.probabilities.indexOf(r.top.probability)]);
    }
  });

  test('the same image gives the same probabilities alone or in a batch; TTA averages the image and its mirror', async () => {
    // At the model's own size nothing is resampled, so the mirrored file is exactly the mirrored input.
    const file = await writeFundus(path.join(tmp, 'square.png'), 4, 32, 32);
    const [alone] = await predictFiles(cnn, [file]);
    const [inBatch] = await predictFiles(cnn, [path.join(photos, 'p1_left.png'), file]).then((r) => [r[1]]);
    const [tta] = await predictFiles(cnn, [file], { tta: true });
    const mirrored = path.join(tmp, 'mirrored.png');
    await sharp(file).flop().toFile(mirrored);
    const [mirror] = await predictFiles(cnn, [mirrored]);
    if (!alone.ok || !inBatch.ok || !tta.ok || !mirror.ok) throw new Error('all four must predict');
    alone.probabilities.forEach((p, c) => expect(inBatch.probabilities[c]).toBeCloseTo(p, 5));
    alone.probabilities.forEach((p, c) => expect(tta.probabilities[c]).toBeCloseTo((p + mirror.probabilities[c]) / 2, 5));
  });

  test('multi-label models give a sigmoid per label and the labels at or above the threshold', async () => {
    const run = await trainTinyRun(path.join(tmp, 'multilabel'), 'multilabel', TINY_CNN);
    const p = await loadPredictor({ run });
    try {
      const [r] = await predictFiles(p, [path.join(photos, 'p1_right.png')]);
      if (!r.ok) throw new Error(r.error);
      expect(p.loss).toBe('bce');
      expect(r.probabilities).toHaveLength(4);
      // Independent sigmoids: each in (0, 1), no reason to sum to 1 (a fresh head sits near 0.5 each).
      expect(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1)).toBeGreaterThan(0.05);
      expect(r.positive).toEqual(p.classes.filter((_, c) => r.probabilities[c] >= 0.5));
    } finally {
      p.model.dispose();
    }
  });
});

describe('memory', () => {
  test('predicting with TTA and heatmaps leaves no tensors behind (serve runs for days)', async () => {
    const files = [path.join(photos, 'p1_right.png'), path.join(photos, 'p1_left.png')];
    await predictFiles(vit, files, { tta: true, cam: true });
    await predictFiles(cnn, files, { tta: true, cam: { maxSide: 64 } });
    const before = tf.memory().numTensors;
    await predictFiles(vit, files, { tta: true, cam: true });
    await predictFiles(cnn, files, { tta: true, cam: { maxSide: 64 } });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Grad-CAM', () => {
  test('for a CNN whose head averages and classifies, Grad-CAM is relu(Σ_k W_kc A_k) scaled to max 1', async () => {
    const model = cnn.model as EfficientNet;
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    for (const c of [0, 1]) {
      const cam = await gradCam(model, x, c);
      const expected = tf.tidy(() => {
        const f = model.forwardFeatures(x) as tf.Tensor4D;
        const w = tf.reshape(tf.slice(model.classifier!.weight, [0, c], [-1, 1]), [-1]);
        const m = tf.reshape(tf.relu(tf.sum(tf.mul(f, w), 3)), [-1]);
        return tf.div(m, tf.max(m)).dataSync();
      });
      expect([cam.height, cam.width]).toEqual([8, 8]);
      expect(Math.max(...cam.values)).toBeCloseTo(1, 6);
      cam.values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    }
    x.dispose();
  });

  test('for a ViT, the tokens entering the last block reproduce the logits, and the map covers the patch grid', async () => {
    const model = vit.model as VisionTransformer;
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const [viaTokens, direct] = tf.tidy(() => {
      const target = model.camTarget(x);
      expect(target.activations.shape).toEqual([1, 17, model.numFeatures]);
      return [target.head(target.activations).dataSync(), model.forward(x).dataSync()];
    });
    Array.from(direct).forEach((v, i) => expect(viaTokens[i]).toBeCloseTo(v, 5));
    const cam = await gradCam(model, x, 2);
    expect([cam.height, cam.width]).toEqual([4, 4]);
    expect(cam.method).toMatch(/tokens entering the last transformer block/);
    expect(Math.max(...cam.values)).toBeCloseTo(1, 6);
    expect(cam.values.filter((v) => v > 0).length).toBeGreaterThan(1);
    x.dispose();
  });
});

describe('predict (files, folders, globs, pairs, heatmaps)', () => {
  test('a folder and a glob expand; the unreadable file is reported and the rest run; pairs by name; CAM PNGs have the photograph size', async () => {
    const camDir = path.join(tmp, 'cams');
    const report = await predict({
      run: vitRun,
      images: [photos, path.join(photos, 'nested', '*.jpg'), path.join(tmp, 'missing.png')],
      camDir,
      tta: true,
    });
    const ok = report.images.filter((i) => i.ok);
    const failed = report.images.filter((i) => !i.ok);
    expect(ok.map((i) => path.basename(i.file)).sort()).toEqual(['p1_left.png', 'p1_right.png', 'p2_left.jpg', 'p2_right.jpg']);
    expect(failed.map((i) => path.basename(i.file)).sort()).toEqual(['broken.jpg', 'missing.png']);
    expect(report.tta).toEqual(['original', 'horizontal mirror']);
    expect(report.probabilities).toBe('softmax');
    // Pairs by <id>_right / <id>_left names; the patient-level grade is the worse eye's.
    expect(report.patients.map((p) => p.patient).sort()).toEqual(['p1', 'p2']);
    for (const p of report.patients) {
      if (!p.ok) throw new Error(p.error);
      expect(p.levelRule).toBe('worse-eye');
      const eyes = [p.right, p.left].map((f) => ok.find((i) => i.file === f)!).map((i) => (i.ok ? vit.classes.indexOf(i.top.class) : -1));
      expect(vit.classes.indexOf(p.result.name)).toBe(Math.max(...eyes));
      expect(p.referral.rule).toMatch(/differs between the right and the left eye by 0\.1 or more/);
    }
    for (const i of ok) {
      if (!i.ok || !i.cam) throw new Error(`no heatmap for ${i.file}`);
      const [src, cam] = await Promise.all([sharp(i.file).metadata(), sharp(i.cam.file).metadata()]);
      expect(cam.format).toBe('png');
      expect([cam.width, cam.height]).toEqual([src.width, src.height]);
    }
    const text = formatPredictReport(report, tmp);
    expect(text).toMatch(/could not be read \(2\):/);
    expect(text).toMatch(/broken\.jpg: cannot decode image/);
    expect(text).toMatch(/patients \(2\):/);
  });

  test('explicit --checkpoint and --pair give the same probabilities as --run', async () => {
    const right = path.join(photos, 'p1_right.png');
    const left = path.join(photos, 'nested', 'p2_left.jpg');
    const a = await predict({ run: vitRun, images: [], pairs: [[right, left]] });
    const b = await predict({ checkpoint: path.join(vitRun, 'checkpoints', 'best'), images: [right, left], pairByName: false, minEyeDifference: 1 });
    expect(a.images).toEqual(b.images);
    expect(a.patients).toHaveLength(1);
    expect(b.patients).toHaveLength(0);
    const p = a.patients[0];
    if (!p.ok) throw new Error(p.error);
    expect(p.patient).toBe('pair 1');
  });

  test('no usable input is one clear error', async () => {
    await expect(predict({ run: vitRun, images: [path.join(tmp, 'empty-*.png')] })).rejects.toThrow(
      /no images to predict on .*no image files .* match this pattern/,
    );
  });
});

const onEyepacs = fs.existsSync(EYEPACS) ? describe : describe.skip;
if (!fs.existsSync(EYEPACS)) console.log(`skipping predictions on real photographs: ${EYEPACS} is absent`);

onEyepacs('on real EyePACS photographs', () => {
  test("a patient's two eyes pair by name; heatmaps are the photographs' own size", async () => {
    const camDir = path.join(tmp, 'eyepacs-cams');
    const report = await predict({ run: cnnRun, images: [path.join(EYEPACS, '10_left.jpeg'), path.join(EYEPACS, '10_right.jpeg')], camDir });
    expect(report.images.every((i) => i.ok)).toBe(true);
    expect(report.patients).toHaveLength(1);
    const p = report.patients[0];
    if (!p.ok) throw new Error(p.error);
    expect(p.patient).toBe('10');
    expect(p.levelRule).toBe('max-probability');
    for (const i of report.images) {
      if (!i.ok || !i.cam) throw new Error('expected a heatmap');
      const [src, cam] = await Promise.all([sharp(i.file).metadata(), sharp(i.cam.file).metadata()]);
      expect([cam.width, cam.height]).toEqual([src.width, src.height]);
      expect(src.width).toBeGreaterThan(400);
    }
  });
});
