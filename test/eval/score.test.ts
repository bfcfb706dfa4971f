import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { scorePredictions } from '../../src/eval/score';
import { writePredictionsCsv } from '../../src/eval/predictions';
import { computeMetrics } from '../../src/eval/compute-metrics';
import { UserError } from '../../src/util/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-eval-score-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const classes = ['normal', 'glaucoma'];
const labels = [0, 0, 0, 1, 1, 0, 1, 0];
const p1 = [0.1, 0.3, 0.6, 0.8, 0.4, 0.2, 0.9, 0.35];
const probs = p1.map((p) => [1 - p, p]);

test('score gives the same metrics as computing them directly, with a text report', () => {
  const file = path.join(dir, 'predictions.csv');
  writePredictionsCsv(file, { task: 'binary', classes, images: labels.map((_, i) => `img${i}.png`), labels, probs });
  const { report, text } = scorePredictions(file);
  expect(report.headline).toEqual(computeMetrics({ task: 'binary', classes, labels, probs }).headline);
  expect(report.ci).toBeUndefined();
  expect(text).toContain(`Scores of ${file}`);
  expect(text).toContain('weighted avg');
});

test('--bootstrap adds intervals, resampling patients when the file has a group column', () => {
  const file = path.join(dir, 'grouped.csv');
  const groups = labels.map((_, i) => `patient${Math.floor(i / 2)}`);
  writePredictionsCsv(file, { task: 'binary', classes, images: labels.map((_, i) => `img${i}`), labels, probs, groups });
  const a = scorePredictions(file, { bootstrap: 40, seed: 2 });
  expect(a.report.ci).toMatchObject({ resamples: 40, unit: 'group', units: 4, seed: 2 });
  expect(a.text).toMatch(/95% percentile bootstrap intervals: 40 resamples of 4 patients/);
  expect(scorePredictions(file, { bootstrap: 40, seed: 2 }).report.ci).toEqual(a.report.ci);
  expect(() => scorePredictions(file, { bootstrap: -1 })).toThrow(UserError);
});
