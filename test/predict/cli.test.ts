import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../helpers/cli';
import { TINY_VIT, trainTinyRun, writeFundus } from './tiny-runs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-predict-cli-'));
let run: string;

beforeAll(async () => {
  run = await trainTinyRun(path.join(tmp, 'run'), 'dr', TINY_VIT, { eval: { referableFrom: 1 } });
  await writeFundus(path.join(tmp, 'img', 'a_right.png'), 0, 100, 80);
  await writeFundus(path.join(tmp, 'img', 'a_left.png'), 1, 100, 80);
  await writeFundus(path.join(tmp, 'img', 'b.png'), 2, 80, 80);
  fs.writeFileSync(path.join(tmp, 'img', 'c.jpg'), 'text');
});

describe('fundus-train predict', () => {
  test('--json: every image, the unreadable one reported (exit 2), heatmaps written, pairs by name and by --pair', async () => {
    const camDir = path.join(tmp, 'cams');
    const img = (n: string) => path.join(tmp, 'img', n);
    const r = await cli([
      'predict',
      '--run',
      run,
      img('*.png'),
      img('c.jpg'),
      '--pair',
      img('b.png'),
      img('a_left.png'),
      '--cam',
      camDir,
      '--json',
      '--min-eye-difference',
      '0.2',
    ]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.out);
    expect(report.images).toHaveLength(4);
    expect(report.images.filter((i: { ok: boolean }) => !i.ok).map((i: { file: string }) => path.basename(i.file))).toEqual(['c.jpg']);
    expect(fs.readdirSync(camDir).sort()).toEqual(['a_left_cam.png', 'a_right_cam.png', 'b_cam.png']);
    expect(report.patients.map((p: { patient: string }) => p.patient)).toEqual(['pair 1', 'a']);
    expect(report.patients[1].referral.minEyeDifference).toBe(0.2);
    expect(report.referralRule).toMatch(/by 0\.2 or more/);
  });

  test('text output: a table of probabilities and each patient in words; exit 0 when every image is read', async () => {
    const r = await cli(['predict', '--run', run, path.join(tmp, 'img', 'a_right.png'), path.join(tmp, 'img', 'a_left.png'), '--tta']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/softmax probabilities over the classes; TTA: mean over original, horizontal mirror/);
    expect(r.out).toMatch(/image\s+top class\s+p\s+no_dr\s+mild\s+proliferative/);
    expect(r.out).toMatch(/ {2}a: right \w+ 0\.\d{3}, left \w+ 0\.\d{3} -> patient: \w+ 0\.\d{3}/);
    expect(r.out).toMatch(/Patient grade = the worse eye's grade/);
    expect(r.out).toMatch(/Referral rule: /);
  });

  test('a lone _left image gets a line saying why it has no patient result; pairing it with --pair removes the line', async () => {
    const lone = await writeFundus(path.join(tmp, 'lone', 'd_left.png'), 3, 100, 80);
    const args = ['predict', '--run', run, lone, path.join(tmp, 'img', 'a_right.png'), path.join(tmp, 'img', 'a_left.png')];
    const text = await cli(args);
    expect(text.code).toBe(0);
    expect(text.out).toContain(
      `\nno patient result (1):\n  ${lone}: only the left eye of patient d: no d_right image in ${path.dirname(lone)} among the inputs, and a patient result needs both eyes\n`,
    );
    const json = JSON.parse((await cli([...args, '--json'])).out);
    expect(json.patients.map((p: { patient: string }) => p.patient)).toEqual(['a']);
    expect(json.unpairedEyes).toEqual([{ file: lone, reason: expect.stringMatching(/^only the left eye of patient d: /) }]);
    const paired = JSON.parse((await cli([...args, '--pair', path.join(tmp, 'img', 'b.png'), lone, '--json'])).out);
    expect(paired.unpairedEyes).toEqual([]);
    expect(paired.patients.map((p: { patient: string }) => p.patient)).toEqual(['pair 1', 'a']);
  });

  test('--cam in /proc: one line and exit 2 instead of spinning forever', async () => {
    const r = await cli(['predict', '--run', run, path.join(tmp, 'img', 'b.png'), '--cam', '/proc/fundus-cam/x']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^fundus-train: error: cannot create folder \/proc\/fundus-cam\/x: .*\(E[A-Z]+\)\n$/);
  });

  test("the run's data.maxImagePixels applies: an image above it is refused by name, before decoding", async () => {
    const small = path.join(tmp, 'run-small-limit');
    fs.cpSync(run, small, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(small, 'config.json'), 'utf8'));
    config.data.maxImagePixels = 6000;
    fs.writeFileSync(path.join(small, 'config.json'), JSON.stringify(config));
    const img = (n: string) => path.join(tmp, 'img', n);
    const report = JSON.parse((await cli(['predict', '--run', small, img('a_right.png'), img('b.png'), '--json'])).out);
    // a_right.png is 100x80 = 8000 pixels, b.png 80x80 = 6400: both above 6000; the default limit took them.
    expect(report.images.map((i: { ok: boolean }) => i.ok)).toEqual([false, false]);
    expect(report.images[0].error).toMatch(/a_right\.png is 100x80 pixels .*above data\.maxImagePixels/);
    const unchanged = JSON.parse((await cli(['predict', '--run', run, img('a_right.png'), '--json'])).out);
    expect(unchanged.images[0].ok).toBe(true);
  });

  test('usage errors: no model, both models, not a run directory', async () => {
    expect((await cli(['predict', 'x.png'])).err).toMatch(/--run DIR or --checkpoint DIR/);
    expect((await cli(['predict', '--run', run, '--checkpoint', run, 'x.png'])).code).toBe(2);
    const notRun = await cli(['predict', '--run', path.join(tmp, 'img'), 'x.png']);
    expect(notRun.err).toMatch(/^fundus-train: error: .*is not a run directory: no config\.json\n$/);
  });
});
