import * as fs from 'fs';
import * as path from 'path';
import { cli as run } from '../helpers/cli';
import { cleanup, makeTempDir, writeImage, writeText } from '../data/fixtures';

let dir: string;
beforeAll(async () => {
  dir = makeTempDir('cli-data');
  for (const n of ['1_left', '1_right', '2_left', '2_right', '3_left', '4_left', '5_left', '6_right']) {
    await writeImage(path.join(dir, 'clean', n.endsWith('left') ? 'a' : 'b', `${n}.jpg`), { rgb: [Number(n[0]) * 30, n.length * 9, 50] });
  }
  for (const n of ['1_left', '2_left', '3_left'])
    await writeImage(path.join(dir, 'leaky/training/a', `${n}.jpg`), { rgb: [Number(n[0]) * 40, 60, 50] });
  await writeImage(path.join(dir, 'leaky/training/b/9_left.jpg'), { rgb: [5, 200, 5] });
  await writeImage(path.join(dir, 'leaky/validation/b/1_right.jpg'), { rgb: [200, 5, 5] });
  fs.writeFileSync(path.join(dir, 'leaky/validation/b/broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
});
afterAll(() => cleanup(dir));

describe('fundus-train data', () => {
  it('prints counts per class and split for a data-only config and exits 0 when all is well', async () => {
    const file = writeText(
      path.join(dir, 'clean.yaml'),
      'seed: 5\ndata:\n  source: image-folder\n  root: clean\n  cache: { disk: false }\n  split: { val: 0.25, test: 0.25 }\n',
    );
    const r = await run(['data', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^image-folder: 8 images, 2 classes \(binary\)\n/);
    expect(r.out).toMatch(/\n {2}class +train +val +test\n {2}a +\d+ +\d+ +\d+\n/);
    expect(r.out).toMatch(/patients in two splits \(leakage\): none/);
    expect(r.out).toMatch(/\nok: no leakage, every image readable\n$/);
    const json = await run(['data', '--config', file, '--json', '--set', 'data.split.folds=2', '--fold', '1']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({ source: 'image-folder', images: 8, folds: { folds: 2, fold: 1 }, ok: true });
    expect(report.splits.val.images + report.splits.train.images + report.splits.test.images).toBe(8);
  });

  it('exits 2 on leakage or an unreadable image, listing them', async () => {
    const file = writeText(path.join(dir, 'leaky.yaml'), 'data:\n  source: image-folder\n  root: leaky\n  cache: { disk: false }\n');
    const r = await run(['data', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/unreadable images: 1\n {2}cannot decode image .*broken\.jpg/);
    expect(r.out).toMatch(
      /patients in two splits \(leakage\): 1\n {2}patient 1: training\/a\/1_left\.jpg \(train\), validation\/b\/1_right\.jpg \(val\)/,
    );
    expect(r.out).toMatch(/NOT OK/);
  });

  it('a bad config is one line, exit 2', async () => {
    const file = writeText(path.join(dir, 'bad.yaml'), 'data:\n  source: image-folder\n  root: clean\n  colour: 1\n');
    const r = await run(['data', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^fundus-train: error: .*bad\.yaml: unknown key "data\.colour"/);
  });
});
