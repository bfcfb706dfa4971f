import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describeIfAdapter } from './adapter';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'dist', 'bin', 'fundus-train.js');

describeIfAdapter()('the CLI on webgpu (a real node process, which must exit by itself)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-webgpu-cli-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('`backend: webgpu` trains the demo config end to end (tiny: 24 images, 32 px, 1 epoch), then node exits', () => {
    expect(fs.existsSync(BIN)).toBe(true); // built by `npm install` (prepare) or `npm run build`
    const out = path.join(tmp, 'demo');
    const sets = [
      'backend=webgpu',
      'data.count=24',
      'data.renderSize=32',
      'model.imageSize=32',
      'train.epochs=1',
      'train.batchSize=8',
      'eval.bootstrap=10',
    ];
    // No timeout kill needed to end it: spawnSync returning with status 0 is the proof that Dawn let go.
    const r = spawnSync(
      process.execPath,
      [BIN, '--config', path.join(ROOT, 'configs', 'demo.yaml'), '--out', out, ...sets.flatMap((s) => ['--set', s])],
      {
        encoding: 'utf8',
        timeout: 240_000,
        cwd: ROOT,
      },
    );
    expect(r.signal).toBeNull();
    expect(r.stderr + r.stdout).toMatch(/backend webgpu \(TensorFlow\.js WebGPU on Dawn/);
    expect(r.status).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.backend).toBe('webgpu');
    const epochs = fs
      .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(epochs).toHaveLength(1);
    expect(Number.isFinite(epochs[0].train_loss)).toBe(true);
  }, 300_000);

  test('bench --backend webgpu runs and exits', () => {
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'bench',
        '--backend',
        'webgpu',
        '--model',
        'test_efficientnet',
        '--image-size',
        '32',
        '--batch-size',
        '2',
        '--steps',
        '2',
        '--warmup',
        '0',
        '--json',
      ],
      {
        encoding: 'utf8',
        timeout: 120_000,
        cwd: ROOT,
      },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.backend).toBe('webgpu');
    expect(result.train.medianSeconds).toBeGreaterThan(0);
    expect(result.tensorsGrowthOverSteps).toBe(0);
  }, 150_000);
});
