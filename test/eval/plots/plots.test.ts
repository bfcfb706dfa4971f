import sharp from 'sharp';
import { computeMetrics } from '../../../src/eval/compute-metrics';
import { calibrationSpec, renderCalibration } from '../../../src/eval/plots/calibration';
import { confusionMatrixSpec, renderConfusionMatrix, CONFUSION_MATRIX_SIZE } from '../../../src/eval/plots/confusion-matrix';
import { renderRoc, rocSpec, ROC_SIZE } from '../../../src/eval/plots/roc';
import { logTicks, renderTrainingCurves, trainingCurvesSpec, TRAINING_CURVES_SIZE } from '../../../src/eval/plots/training-curves';
import { CALIBRATION_SIZE } from '../../../src/eval/plots/calibration';
import {
  binaryReport,
  differingFraction,
  epochRecords,
  GRADES,
  LABELS,
  multiclassReport,
  multilabelReport,
  separationReport,
  summarisePng,
} from './fixtures';

/** The first colours of the tableau10 scheme, in series order. */
const SERIES = ['#4c78a8', '#f58518', '#e45756', '#72b7b2'];

/** Drawn, not blank: pixels vary, many colours (anti-aliased lines and text), mostly white paper. */
async function expectDrawnPng(png: Buffer, size: { width: number; height: number; scale?: number }) {
  const meta = await sharp(png).metadata();
  expect(meta.format).toBe('png');
  const s = await summarisePng(png);
  const scale = size.scale ?? 2;
  expect([s.width, s.height]).toEqual([size.width * scale, size.height * scale]);
  expect(s.stdev).toBeGreaterThan(15);
  expect(s.colours).toBeGreaterThan(50);
  expect(s.near('#ffffff', 0)).toBeGreaterThan(0.3 * s.width * s.height);
  expect(s.near('#000000', 100)).toBeGreaterThan(2000); // text
  return s;
}

/** Every string in a Vega-Lite spec, to check what the plot says. */
function strings(spec: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(spec);
  return out;
}

describe('training curves', () => {
  test('three panels: loss, validation metrics, learning rate on a log scale', async () => {
    const spec = trainingCurvesSpec(epochRecords(), { title: 'demo' });
    const text = strings(spec);
    for (const s of [
      'demo',
      'Loss',
      'Validation metrics',
      'Learning rate',
      'train loss',
      'validation loss',
      'val macro AUC',
      'val accuracy',
      'log',
    ]) {
      expect(text).toContain(s);
    }
    expect(text.some((t) => t.includes('linear-probe \u2192 finetune at epoch 3'))).toBe(true);
    const png = await renderTrainingCurves(epochRecords());
    const s = await expectDrawnPng(png, TRAINING_CURVES_SIZE);
    expect(s.near(SERIES[0])).toBeGreaterThan(300);
    expect(s.near(SERIES[1])).toBeGreaterThan(300);
  });

  test('null and missing values leave points out instead of breaking the plot', async () => {
    const records = epochRecords(4).map((r, i) => ({ ...r, val_macro_auc: null, val_accuracy: undefined, lr: i === 0 ? 0 : r.lr }));
    const spec = trainingCurvesSpec(records) as { hconcat: { layer: { data: { values: { series: string }[] } }[] }[] };
    const metricPoints = spec.hconcat[1].layer[0].data.values;
    expect(metricPoints).toHaveLength(0);
    const lrPoints = spec.hconcat[2].layer[0].data.values;
    expect(lrPoints).toHaveLength(3);
    expect(strings(spec).some((t) => t.includes('1 epoch(s) without a positive learning rate not shown'))).toBe(true);
    await expectDrawnPng(await renderTrainingCurves(records), TRAINING_CURVES_SIZE);
  });

  test('log ticks: decades over a wide range, 1-2-5 over a narrow one', () => {
    expect(logTicks([1e-5, 3e-3])).toEqual([1e-5, 1e-4, 1e-3, 1e-2]);
    expect(logTicks([2e-4, 9e-4])).toEqual([1e-4, 2e-4, 5e-4, 1e-3]);
  });

  test('no records is a programming error', () => {
    expect(() => trainingCurvesSpec([])).toThrow(/no epoch records/);
  });
});

describe('ROC curves', () => {
  test('multiclass: one line per class, legend with each AUC', async () => {
    const report = multiclassReport();
    const text = strings(rocSpec(report));
    report.perClass.forEach((c) => expect(text).toContain(`${c.class} (AUC ${c.auc.value!.toFixed(3)})`));
    const s = await expectDrawnPng(await renderRoc(report), ROC_SIZE);
    SERIES.forEach((colour) => expect(s.near(colour)).toBeGreaterThan(200));
  });

  test('binary: the positive class and the operating point at the fixed specificity', async () => {
    const report = binaryReport();
    const text = strings(rocSpec(report));
    expect(text).toContain(`glaucoma (AUC ${report.headline.auc.value!.toFixed(3)})`);
    expect(text.some((t) => t.startsWith('non_glaucoma (AUC'))).toBe(false);
    expect(text).toContain(`sensitivity ${report.headline.sensitivity_at_specificity.value!.toFixed(3)} at specificity 0.85`);
    await expectDrawnPng(await renderRoc(report), ROC_SIZE);
  });

  test('multi-label: a label without positives stays in the legend as undefined, with the reason', async () => {
    const report = multilabelReport();
    const spec = rocSpec(report);
    const text = strings(spec);
    expect(text).toContain('diabetic_retinopathy (AUC undefined)');
    expect(text).toContain('not drawn: label "diabetic_retinopathy" has no positive case');
    expect(text).toContain('Label');
    const s = await expectDrawnPng(await renderRoc(report), ROC_SIZE);
    expect(s.near(SERIES[0])).toBeGreaterThan(200);
    expect(s.near(SERIES[3])).toBeGreaterThan(200);
  });

  test("a perfect classifier's plot differs from a random one's", async () => {
    const perfect = await summarisePng(await renderRoc(separationReport(true)));
    const random = await summarisePng(await renderRoc(separationReport(false)));
    expect(separationReport(true).headline.auc.value).toBe(1);
    expect(separationReport(false).headline.auc.value).toBe(0.5);
    const again = await summarisePng(await renderRoc(separationReport(true)));
    expect(differingFraction(perfect.rgb, again.rgb)).toBe(0); // rendering is deterministic: any difference is the data's
    expect(differingFraction(perfect.rgb, random.rgb)).toBeGreaterThan(0.005);
  });

  test('binary without a positive case: nothing to draw, said in the legend and the subtitle', async () => {
    const report = computeMetrics({
      task: 'binary',
      classes: ['normal', 'glaucoma'],
      labels: [0, 0, 0],
      probs: [
        [0.9, 0.1],
        [0.6, 0.4],
        [0.3, 0.7],
      ],
      curves: true,
    });
    const text = strings(rocSpec(report));
    expect(text).toContain('glaucoma (AUC undefined)');
    expect(text).toContain('not drawn: class "glaucoma" has no positive case');
    await expectDrawnPng(await renderRoc(report), ROC_SIZE);
  });

  test('a report without curves is a programming error', () => {
    expect(() => rocSpec({ ...binaryReport(), curves: undefined })).toThrow(/curves: true/);
  });
});

describe('confusion matrix', () => {
  test('counts in the cells, true class on rows, predicted on columns, class names on the axes', async () => {
    const report = multiclassReport();
    const spec = confusionMatrixSpec(report) as {
      data: { values: { actual: string; predicted: string; count: number }[] };
      encoding: { x: { field: string; title: string; sort: string[] }; y: { field: string; title: string; sort: string[] } };
    };
    const cells = spec.data.values;
    expect(cells).toHaveLength(GRADES.length ** 2);
    report.confusionMatrix!.forEach((row, i) =>
      row.forEach((count, j) => expect(cells.find((c) => c.actual === GRADES[i] && c.predicted === GRADES[j])!.count).toBe(count)),
    );
    expect(spec.encoding.y).toMatchObject({ field: 'actual', title: 'True class', sort: GRADES });
    expect(spec.encoding.x).toMatchObject({ field: 'predicted', title: 'Predicted class', sort: GRADES });
    await expectDrawnPng(await renderConfusionMatrix(report), CONFUSION_MATRIX_SIZE);
  });

  test('multi-label reports have none', () => {
    expect(() => confusionMatrixSpec(multilabelReport())).toThrow(/no confusion matrix/);
  });
});

describe('reliability diagram', () => {
  test('bars per filled bin, the ECE in the subtitle', async () => {
    const report = binaryReport();
    const text = strings(calibrationSpec(report));
    expect(text.some((t) => t.includes(`ECE ${report.headline.ece.value!.toFixed(3)} over 15 equal-width bins`))).toBe(true);
    await expectDrawnPng(await renderCalibration(report), CALIBRATION_SIZE);
  });
});

test('every plot takes a size', async () => {
  const size = { width: 400, height: 300, scale: 1 };
  const meta = await sharp(await renderRoc(multilabelReport(), { size })).metadata();
  expect([meta.width, meta.height]).toEqual([400, 300]);
  expect(LABELS).toHaveLength(4);
});
