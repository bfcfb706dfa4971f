import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ExperimentConfig, experimentConfigSchema } from '../../src/config/schema';
import { train } from '../../src/train/trainer';
import { drawScene } from '../../src/data/synthetic/scene';
import { renderFundus } from '../../src/data/synthetic/render-fundus';
import { encodePng } from '../../src/data/image';
import { UserError } from '../../src/util/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-run-failures-'));

/** A binary image-folder dataset: `perClass` 32-px synthetic photographs in each class folder. */
async function writeFolders(root: string, classes: string[], perClass: number): Promise<string> {
  for (const [c, name] of classes.entries()) {
    fs.mkdirSync(path.join(root, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const png = await encodePng(renderFundus(drawScene(3, 'glaucoma', c * perClass + i), 32));
      fs.writeFileSync(path.join(root, name, `${i}.png`), png);
    }
  }
  return root;
}

function folderConfig(root: string, epochs: number): ExperimentConfig {
  return experimentConfigSchema.parse({
    name: 'folders',
    seed: 5,
    backend: 'wasm',
    data: { source: 'image-folder', root, cache: { disk: false }, split: { val: 0.25, test: 0.25 } },
    model: {
      name: 'test_efficientnet',
      imageSize: 32,
      args: { headChannels: 16, stages: [{ block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 2, channels: 8, seRatio: 0.25 }] },
    },
    train: { epochs, batchSize: 4, optimizer: { lr: 0.01 } },
    eval: { bootstrap: 0 },
  });
}

const failureOf = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the run to fail');
};

// Trained by whichever test needs it first, so every test also passes alone.
let trained: Promise<{ root: string; out: string; messages: string[] }> | null = null;
const trainedRun = () =>
  (trained ??= (async () => {
    const root = await writeFolders(path.join(tmp, 'cataract-data'), ['cataract', 'normal'], 8);
    const out = path.join(tmp, 'cataract-run');
    const messages: string[] = [];
    await train({ config: folderConfig(root, 2), outDir: out, callbacks: [{ onMessage: (m) => messages.push(m) }] });
    return { root, out, messages };
  })());

describe('a failed run leaves nothing that looks like a run', () => {
  test('a data error found after the run directory was made: the folders it created are removed, their parent kept', async () => {
    const parent = path.join(tmp, 'fresh');
    fs.mkdirSync(parent);
    const out = path.join(parent, 'nested', 'run');
    const e = await failureOf(train({ config: folderConfig(path.join(tmp, 'no-such-folder'), 1), outDir: out }));
    expect(e).toBeInstanceOf(UserError);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  test('an unreadable image found in the first epoch: only what the run added to an existing folder is removed', async () => {
    const root = await writeFolders(path.join(tmp, 'broken-data'), ['glaucoma', 'normal'], 4);
    fs.writeFileSync(path.join(root, 'normal', '0.png'), 'not a png');
    const out = path.join(tmp, 'existing');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const e = await failureOf(train({ config: folderConfig(root, 1), outDir: out }));
    expect(e.message).toMatch(/0\.png/);
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
  });

  test('a parent folder the run created, that meanwhile holds another run, is kept', async () => {
    const root = await writeFolders(path.join(tmp, 'broken-data-2'), ['glaucoma', 'normal'], 4);
    fs.writeFileSync(path.join(root, 'normal', '0.png'), 'not a png');
    const runs = path.join(tmp, 'shared-parent', 'runs');
    const out = path.join(runs, 'mine');
    // Another run starting beside this one while it runs.
    const other = () => fs.existsSync(out) && fs.mkdirSync(path.join(runs, 'other'), { recursive: true });
    await failureOf(train({ config: folderConfig(root, 1), outDir: out, callbacks: [{ onMessage: other }] }));
    expect(fs.readdirSync(runs)).toEqual(['other']);
  });

  test('refusing to overwrite a run touches none of its files', async () => {
    const { root, out } = await trainedRun();
    const before = fs.readdirSync(out).sort();
    const e = await failureOf(train({ config: folderConfig(root, 2), outDir: out }));
    expect(e.message).toMatch(/already holds a run; add --resume/);
    expect(fs.readdirSync(out).sort()).toEqual(before);
  });
});

describe('--resume', () => {
  test('with fewer train.epochs than already trained: refused in one line, config.json kept', async () => {
    const { root, out } = await trainedRun();
    const config = fs.readFileSync(path.join(out, 'config.json'), 'utf8');
    const metrics = fs.readFileSync(path.join(out, 'metrics.json'), 'utf8');
    const e = await failureOf(train({ config: folderConfig(root, 1), outDir: out, resume: true }));
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(`${out} has already trained 2 epochs, more than train.epochs 1: nothing to resume; raise train.epochs to continue it`);
    expect(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).toBe(config);
    expect(JSON.parse(config).train.epochs).toBe(2);
    expect(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).toBe(metrics);
  });

  test('a resumed run that fails keeps all its files', async () => {
    const root = await writeFolders(path.join(tmp, 'resume-data'), ['glaucoma', 'normal'], 4);
    const out = path.join(tmp, 'resume-run');
    await train({ config: folderConfig(root, 1), outDir: out });
    const before = fs.readdirSync(out).sort();
    for (const c of ['glaucoma', 'normal']) for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(root, c, `${i}.png`), 'not a png');
    await failureOf(train({ config: folderConfig(root, 2), outDir: out, resume: true }));
    expect(fs.readdirSync(out).sort()).toEqual(before);
    expect(fs.existsSync(path.join(out, 'checkpoints', 'last', 'model.safetensors'))).toBe(true);
  });
});

describe('the positive class of a binary image-folder task', () => {
  test('cataract/ beside normal/: cataract is positive, and the log and metrics.json say so', async () => {
    const { out, messages } = await trainedRun();
    expect(messages).toContain('positive class: cataract ("normal" names the healthy class)');
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.positiveClass).toBe('cataract');
  });
});
