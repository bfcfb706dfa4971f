import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { experimentConfigSchema } from '../../src/config/schema';
import { train } from '../../src/train/trainer';
import { EpochRecord } from '../../src/train/callbacks';
import { DATA_DIR, describeIfExists, FIXTURES_DIR, SHARED_DIR } from '../helpers/shared';

const EYEPACS = path.join(DATA_DIR, 'eyepacs-dr-130');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-pretrained-'));

/** 36 EyePACS images with the seed's 3-class remap, as a CSV of the `csv` source. */
function writeSubsetCsv(): string {
  const present = new Set(fs.readdirSync(path.join(EYEPACS, 'train')).map((f) => f.replace(/\.jpeg$/, '')));
  const rows = fs
    .readFileSync(path.join(EYEPACS, 'trainLabels.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .filter(([image]) => present.has(image));
  const names = ['no_dr', 'mild', 'proliferative'];
  const byClass = new Map<string, string[]>();
  for (const [image, level] of rows) {
    const cls = names[[0, 1, 1, 2, 2][Number(level)]];
    byClass.set(cls, [...(byClass.get(cls) ?? []), image]);
  }
  const lines = ['image,grade,patient'];
  for (const cls of names) for (const image of byClass.get(cls)!.slice(0, 12)) lines.push(`${image}.jpeg,${cls},${image.split('_')[0]}`);
  const file = path.join(tmp, 'subset.csv');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

describeIfExists(SHARED_DIR)('fine-tuning from pretrained weight files on real fundus photographs', () => {
  const run = async (name: string, model: Record<string, unknown>) => {
    const messages: string[] = [];
    const records: EpochRecord[] = [];
    const config = experimentConfigSchema.parse({
      name,
      seed: 1,
      backend: 'wasm',
      data: {
        source: 'csv',
        csv: writeSubsetCsv(),
        imagesDir: path.join(EYEPACS, 'train'),
        imageColumn: 'image',
        classColumn: 'grade',
        classes: ['no_dr', 'mild', 'proliferative'],
        groupColumn: 'patient',
        split: { val: 0.34, test: 0 },
      },
      model: { imageSize: 64, ...model },
      train: { epochs: 1, batchSize: 6, optimizer: { lr: 1e-4 } },
      eval: { bootstrap: 0 },
    });
    await train({ config, outDir: path.join(tmp, name), callbacks: [{ onMessage: (m) => messages.push(m), onEpochEnd: (r) => records.push(r) }] });
    return { messages, first: records[0] };
  };

  test.each([
    ['efficientnet_b0', 'efficientnet_b0.safetensors'],
    ['efficientnet_b0', 'efficientnet_b0.pytorch_model.bin'],
    ['vit_tiny_patch16_224', 'vit_tiny_patch16_224.safetensors'],
  ])('%s from %s: weights are loaded and used (first validation differs from scratch)', async (model, file) => {
    const weights = path.join(FIXTURES_DIR, file);
    const tag = file.replace(/\W/g, '_');
    const pretrained = await run(`pre-${tag}`, { name: model, pretrained: weights });
    const scratch = await run(`scratch-${tag}`, { name: model });
    expect(pretrained.messages.join('\n')).toMatch(new RegExp(`loaded (\\d+)/\\1 tensors from .*${file.replace(/\./g, '\\.')}`));
    expect(pretrained.first.val_loss).not.toBeCloseTo(scratch.first.val_loss, 6);
    expect(pretrained.first.val_macro_auc).not.toBe(scratch.first.val_macro_auc);
  });
});
