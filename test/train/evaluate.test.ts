import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { experimentConfigSchema } from '../../src/config/schema';
import { train } from '../../src/train/trainer';
import { evaluate } from '../../src/train/evaluate';
import { drawScene, sceneLabels } from '../../src/data/synthetic/scene';
import { renderFundus } from '../../src/data/synthetic/render-fundus';
import { encodePng } from '../../src/data/image';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-evaluate-'));
const TINY_CNN = {
  name: 'test_efficientnet',
  imageSize: 32,
  args: { headChannels: 32, stages: [{ block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 2, channels: 16, seRatio: 0.25 }] },
};

function config(data: Record<string, unknown>, evalCfg: Record<string, unknown> = {}) {
  return experimentConfigSchema.parse({
    name: 'evaluate',
    seed: 5,
    backend: 'wasm',
    data: { source: 'synthetic', count: 48, renderSize: 32, split: { val: 0.25, test: 0.25 }, ...data },
    model: TINY_CNN,
    train: { epochs: 2, batchSize: 8, optimizer: { lr: 0.01 } },
    eval: { bootstrap: 20, ...evalCfg },
  });
}

/** PNG checks: decodes, the expected size, and not blank (spread of values, several colours). */
async function expectRealPlot(file: string): Promise<void> {
  const img = sharp(fs.readFileSync(file));
  const meta = await img.metadata();
  expect(meta.format).toBe('png');
  expect(meta.width).toBeGreaterThan(400);
  expect(meta.height).toBeGreaterThan(300);
  const stats = await img.stats();
  expect(stats.channels[0].stdev).toBeGreaterThan(15);
  const { data } = await img.raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 3 * 97) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  expect(colours.size).toBeGreaterThan(20);
}

/** The binary run two tests read, trained by whichever runs first (each test also passes alone). */
let binaryRun: Promise<string> | null = null;
const trainedBinaryRun = () =>
  (binaryRun ??= (async () => {
    const out = path.join(tmp, 'binary');
    await train({ config: config({ task: 'glaucoma' }), outDir: out });
    return out;
  })());

describe('evaluation outputs', () => {
  test('a finished run has a report folder with text, LaTeX and real PNG plots', async () => {
    const out = await trainedBinaryRun();
    const report = path.join(out, 'report');
    expect(fs.readFileSync(path.join(report, 'report.txt'), 'utf8')).toMatch(/precision\s+recall\s+f1-score\s+support/);
    expect(fs.readFileSync(path.join(report, 'table.tex'), 'utf8')).toMatch(/\\begin\{table\}[\s\S]*\\toprule[\s\S]*Macro AUC/);
    for (const png of ['training_curves.png', 'roc.png', 'confusion_matrix.png', 'calibration.png']) await expectRealPlot(path.join(report, png));
  });

  test('multi-label thresholds tuned on validation are used for the test metrics and kept for eval', async () => {
    const out = path.join(tmp, 'tuned');
    await train({ config: config({ task: 'multilabel' }, { threshold: 'tune' }), outDir: out });
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.settings.thresholds).toHaveLength(4);
    expect(metrics.settings.thresholds.some((t: number) => t !== 0.5)).toBe(true);
    const again = await evaluate({ runDir: out, bootstrap: 0 });
    expect(again.report.settings.thresholds).toEqual(metrics.settings.thresholds);
    expect(again.report.headline.macro_f1).toEqual(metrics.headline.macro_f1);
  });

  test('external validation: another dataset, classes matched by name, outputs named after it', async () => {
    const out = await trainedBinaryRun();
    // Another "hospital": images from another seed, as one folder per class (sorted: glaucoma, normal).
    const root = path.join(tmp, 'external');
    for (let i = 0; i < 12; i++) {
      const scene = drawScene(99, 'glaucoma', i);
      const cls = ['normal', 'glaucoma'][sceneLabels('glaucoma', scene).label!];
      fs.mkdirSync(path.join(root, cls), { recursive: true });
      fs.writeFileSync(path.join(root, cls, `img${i}.png`), await encodePng(renderFundus(scene, 32)));
    }
    const dataConfig = path.join(tmp, 'hospital-b.yaml');
    fs.writeFileSync(dataConfig, 'data:\n  source: image-folder\n  root: external\n');
    const result = await evaluate({ runDir: out, dataConfig, bootstrap: 0 });
    expect(result.outDir).toBe(path.join(out, 'eval-hospital-b'));
    expect(result.images).toBe(12);
    expect(result.report.classes).toEqual(['normal', 'glaucoma']);
    const csv = fs.readFileSync(path.join(result.outDir, 'predictions.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('image,label,p_normal,p_glaucoma');
    expect(csv).toHaveLength(13);
    expect(JSON.parse(fs.readFileSync(path.join(result.outDir, 'metrics.json'), 'utf8')).split).toBe('hospital-b');

    const mismatched = path.join(tmp, 'wrong-classes.yaml');
    fs.mkdirSync(path.join(root, 'cataract'));
    fs.copyFileSync(path.join(root, 'normal', fs.readdirSync(path.join(root, 'normal'))[0]), path.join(root, 'cataract', 'x.png'));
    fs.writeFileSync(mismatched, 'data:\n  source: image-folder\n  root: external\n');
    await expect(evaluate({ runDir: out, dataConfig: mismatched })).rejects.toThrow(/are not the model's \(normal, glaucoma\)/);
  });
});
