import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { PLOT_FILES, readEpochRecords, writeRunPlots } from '../../../src/eval/plots';
import { UserError } from '../../../src/util/errors';
import { epochRecords, multiclassReport, multilabelReport } from './fixtures';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-plots-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('multiclass: training curves, ROC, confusion matrix and calibration, nothing else left behind', async () => {
  const reportDir = path.join(dir, 'report');
  const written = await writeRunPlots(reportDir, multiclassReport(), epochRecords(), { title: 'demo, test split' });
  const files = [PLOT_FILES.trainingCurves, PLOT_FILES.roc, PLOT_FILES.confusionMatrix, PLOT_FILES.calibration];
  expect(written).toEqual(files.map((f) => path.join(reportDir, f)));
  expect(fs.readdirSync(reportDir).sort()).toEqual([...files].sort());
  for (const file of written) {
    const meta = await sharp(file).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(800);
  }
});

test('multi-label: ROC per label only; no epoch records, no training curves', async () => {
  const written = await writeRunPlots(dir, multilabelReport(), []);
  expect(written).toEqual([path.join(dir, PLOT_FILES.roc)]);
  expect(fs.readdirSync(dir)).toEqual([PLOT_FILES.roc]);
});

test('a report without curves is refused before anything is written', async () => {
  await expect(writeRunPlots(dir, { ...multiclassReport(), curves: undefined }, epochRecords())).rejects.toThrow(/curves: true/);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test('readEpochRecords: one object a line, blank lines skipped, a bad line named', () => {
  const file = path.join(dir, 'metrics.jsonl');
  const records = epochRecords(3);
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n\n');
  expect(readEpochRecords(file)).toEqual(records);
  fs.appendFileSync(file, '{"epoch": 4, "lr": 0.1\n');
  expect(() => readEpochRecords(file)).toThrow(UserError);
  expect(() => readEpochRecords(file)).toThrow(/metrics\.jsonl line 5 is not JSON/);
  fs.writeFileSync(file, '[1, 2]\n');
  expect(() => readEpochRecords(file)).toThrow(/line 1 is not an epoch record/);
  expect(() => readEpochRecords(path.join(dir, 'absent.jsonl'))).toThrow(/absent\.jsonl does not exist/);
});
