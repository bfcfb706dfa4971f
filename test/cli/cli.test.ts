import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli as run } from '../helpers/cli';
import { readSafetensors, readSafetensorsMetadata } from '../../src/models/weights/safetensors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-cli-'));
const BIN = path.resolve(__dirname, '..', '..', 'dist', 'bin', 'fundus-train.js');

function config(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

const TINY = `
name: cli
seed: 3
backend: wasm
data: { source: synthetic, task: dr, count: 36, renderSize: 32, split: { val: 0.25, test: 0.25 } }
model: { name: test_vit, imageSize: 32, args: { depth: 1, embedDim: 32, numHeads: 2, patchSize: 8 } }
train: { epochs: 1, batchSize: 6 }
eval: { bootstrap: 10 }
`;

describe('fundus-train command line', () => {
  test('a config typo is one line on stderr, exit 2, no stack trace', async () => {
    const file = config('typo.yaml', TINY.replace('epochs: 1', 'epoch: 1'));
    const r = await run(['--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^fundus-train: error: .*typo\.yaml: unknown key "train\.epoch" \(did you mean "epochs"\?\)\n$/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  test('--verbose adds the stack trace', async () => {
    const r = await run(['--config', path.join(tmp, 'none.yaml'), '--verbose']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/config file not found/);
    expect(r.err).toMatch(/\n\s+at /);
  });

  test('an unknown option is a usage error (exit 2)', async () => {
    const r = await run(['--config', 'x.yaml', '--epochs', '3']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown argument: epochs/);
  });

  test("yargs' own argument errors are usage errors too (exit 2, not internal)", async () => {
    const r = await run(['predict', '--run', tmp, '--pair', 'only-one.png']);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/internal error/);
  });

  test('no --config is a usage error (exit 2)', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Missing required argument: config/);
  });

  test('trains a tiny run with --set and --out, then eval and score read it', async () => {
    const out = path.join(tmp, 'run');
    const file = config('tiny.yaml', TINY);
    const t = await run(['--config', file, '--set', 'train.epochs=2', '--out', out]);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/backend wasm/);
    expect(t.out).toMatch(/epoch 2\/2 finetune \| train_loss \d/);
    expect(fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).train.epochs).toBe(2);

    const again = await run(['--config', file, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds a run; add --resume/);

    const e = await run(['eval', '--run', out, '--json', '--bootstrap', '0']);
    expect(e.code).toBe(0);
    const report = JSON.parse(e.out);
    expect(report.task).toBe('multiclass');
    expect(report.classes).toHaveLength(3);
    expect(fs.existsSync(path.join(out, 'eval-test', 'predictions.csv'))).toBe(true);

    const s = await run(['score', '--predictions', path.join(out, 'predictions.csv'), '--bootstrap', '0']);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/Macro AUC/);
    // The CSV written at the end of training scores to the same numbers as metrics.json.
    const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    const sj = await run(['score', '--predictions', path.join(out, 'predictions.csv'), '--bootstrap', '0', '--json']);
    expect(JSON.parse(sj.out).headline.macro_auc).toEqual(m.headline.macro_auc);

    // Export: timm-named safetensors equal to the best checkpoint, and TensorFlow.js files.
    const st = path.join(tmp, 'export.safetensors');
    expect((await run(['export', '--run', out, '--format', 'safetensors', '--out', st])).code).toBe(0);
    const exported = readSafetensors(st);
    const best = readSafetensors(path.join(out, 'checkpoints', 'best', 'model.safetensors'));
    expect([...exported.keys()].sort()).toEqual([...best.keys()].sort());
    expect(Array.from(exported.get('head.weight')!.data as Float32Array)).toEqual(Array.from(best.get('head.weight')!.data as Float32Array));
    expect(readSafetensorsMetadata(st)).toMatchObject({ model: 'test_vit', classes: JSON.stringify(report.classes), output: 'softmax' });
    const tfjsDir = path.join(tmp, 'export-tfjs');
    expect((await run(['export', '--run', out, '--out', tfjsDir])).code).toBe(0);
    const modelJson = JSON.parse(fs.readFileSync(path.join(tfjsDir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('graph-model');
    expect(JSON.parse(modelJson.userDefinedMetadata.classes)).toEqual(report.classes);
  });

  test('score on a malformed CSV names the row', async () => {
    const csv = path.join(tmp, 'bad.csv');
    fs.writeFileSync(csv, 'image,label,p_a,p_b\nx.jpg,a,0.5,0.5\ny.jpg,c,0.2,0.8\n');
    const r = await run(['score', '--predictions', csv]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.csv.*(row|line) 3/);
  });

  test('the installed binary exits 2 on a user error', () => {
    expect(fs.existsSync(BIN)).toBe(true); // built by `npm install` (prepare) or `npm run build`
    const r = spawnSync(process.execPath, [BIN, '--config', path.join(tmp, 'missing.yaml')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/config file not found/);
  });
});
