/**
 * Resume after a real kill (issue 17): `fundus-train` in a child process is killed with SIGKILL
 * at seeded random moments — mid-batch, mid-validation, and during the checkpoint swap (spotted
 * by polling checkpoints/ for the folders replaceDirAtomic writes beside last/) — then resumed
 * with --resume, again and again; the finished run must equal an uninterrupted one: metrics.jsonl
 * (time fields aside), checkpoints/last byte for byte, predictions.csv.
 *
 * Checkpoints are written once per epoch, so a run killed mid-epoch restarts that epoch from its
 * beginning (the data order, augmentations and dropout of an epoch come from seeded streams, so
 * the redone epoch is the same epoch).
 *
 * Needs dist/ (npm run build; CI builds it during npm install): skipped with a message without.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng } from '../../src/util/random';

const BIN = path.resolve(__dirname, '..', '..', 'dist', 'bin', 'fundus-train.js');
const haveDist = fs.existsSync(BIN);
if (!haveDist) console.log(`skipping the resume-after-kill test: ${BIN} is absent (run npm run build)`);
const maybe = haveDist ? test : test.skip;

const KILLS = Number(process.env.RESUME_KILLS ?? 3);
const SEED = Number(process.env.RESUME_KILL_SEED ?? 17);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-resume-kill-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CONFIG = `
name: kill
seed: 5
backend: wasm
data: { source: synthetic, task: glaucoma, count: 32, renderSize: 32, cache: { disk: false }, split: { val: 0.25, test: 0.25 }, augment: { hflip: 0.5, rotate: 10 }, mixup: { alpha: 0.4, cutmixAlpha: 1.0 } }
model: { name: test_vit, imageSize: 32, dropPathRate: 0.1, args: { depth: 2, embedDim: 32, numHeads: 2, patchSize: 8 } }
train: { epochs: 3, batchSize: 4, optimizer: { lr: 0.003 }, scheduler: { name: cosine, warmupEpochs: 1, minLr: 1.0e-5, update: step }, ema: { decay: 0.9, warmup: true }, clipGrad: { norm: 1.0 } }
eval: { bootstrap: 10 }
`;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function start(config: string, out: string, resume: boolean): { child: ChildProcess; done: Promise<Outcome>; lastLine: () => string } {
  const args = [BIN, '--config', config, '--out', out, ...(resume ? ['--resume'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  let stderr = '';
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Outcome>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  const lastLine = () => stdout.trim().split('\n').pop()?.slice(0, 60) ?? '';
  return { child, done, lastLine };
}

/**
 * Resolves true as soon as a checkpoint swap starts (replaceDirAtomic creates last.tmp-<pid> or
 * best.tmp-<pid> beside the folder it replaces), false after `ms`. inotify (fs.watch) sees the
 * folder appear while the checkpoint files are still being written into it.
 */
function swapMoment(out: string, ms: number): Promise<boolean> {
  fs.mkdirSync(out, { recursive: true });
  return new Promise((resolve) => {
    const watcher = fs.watch(out, { recursive: true }, (_event, name) => {
      if (name && /(^|\/)(last|best)\.(tmp|old)-\d+/.test(String(name))) finish(true);
    });
    const timer = setTimeout(() => finish(false), ms);
    function finish(seen: boolean) {
      clearTimeout(timer);
      watcher.close();
      resolve(seen);
    }
  });
}

const timeFree = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { seconds: _s, images_per_s: _i, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });

function lastFiles(out: string): Record<string, string> {
  const dir = path.join(out, 'checkpoints', 'last');
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((n) => [n, fs.readFileSync(path.join(dir, n)).toString('base64')]),
  );
}

maybe(
  `killed ${KILLS} times at seeded moments (mid-batch, mid-validation, mid-swap) and resumed, a run equals the uninterrupted one`,
  async () => {
    const config = path.join(tmp, 'kill.yaml');
    fs.writeFileSync(config, CONFIG);

    const reference = path.join(tmp, 'reference');
    const t0 = Date.now();
    const whole = await start(config, reference, false).done;
    expect(whole).toMatchObject({ code: 0 });
    const wholeMs = Date.now() - t0;

    const killed = path.join(tmp, 'killed');
    const rng = Rng.create(SEED, 'resume-kill');
    const kinds: string[] = [];
    for (let k = 0, attempts = 0; k < KILLS && attempts < 3 * KILLS; attempts++) {
      const resume = fs.existsSync(path.join(killed, 'checkpoints', 'last'));
      const run = start(config, killed, resume);
      // Half the kills wait for a checkpoint swap; the others land at a random time in the run,
      // which is mostly mid-batch and sometimes mid-validation.
      const atSwap = attempts % 2 === 1;
      if (atSwap) {
        const seen = await swapMoment(killed, wholeMs * 2);
        kinds.push(seen ? 'during the checkpoint swap' : 'swap not seen');
      } else {
        const ms = Math.round((0.3 + 0.6 * rng.next()) * wholeMs);
        await new Promise((r) => setTimeout(r, ms));
        kinds.push(`after ${ms} ms`);
      }
      run.child.kill('SIGKILL');
      kinds[kinds.length - 1] += ` (last output: "${run.lastLine()}")`;
      const outcome = await run.done;
      // It may have finished just before the kill; then it starts over in a fresh folder.
      if (outcome.code === 0) {
        kinds.push('(finished first; started over)');
        fs.rmSync(killed, { recursive: true, force: true });
        continue;
      }
      expect(outcome.signal).toBe('SIGKILL');
      k++;
    }
    const resume = fs.existsSync(path.join(killed, 'checkpoints', 'last'));
    const final = await start(config, killed, resume).done;
    expect(final).toMatchObject({ code: 0 });
    console.log(`resume-after-kill: kills ${kinds.join(', ')}; uninterrupted run ${wholeMs} ms`);

    expect(timeFree(path.join(killed, 'metrics.jsonl'))).toEqual(timeFree(path.join(reference, 'metrics.jsonl')));
    expect(lastFiles(killed)).toEqual(lastFiles(reference));
    expect(fs.readFileSync(path.join(killed, 'predictions.csv'), 'utf8')).toBe(fs.readFileSync(path.join(reference, 'predictions.csv'), 'utf8'));
    // No half-written checkpoint folder is left behind.
    expect(fs.readdirSync(path.join(killed, 'checkpoints')).sort()).toEqual(['best', 'last']);
  },
  300_000,
);
