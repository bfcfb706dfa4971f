import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from '../helpers/cli';
import { TINY_VIT, trainTinyRun } from '../predict/tiny-runs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-serve-cli-'));
let run: string;

beforeAll(async () => {
  run = await trainTinyRun(path.join(tmp, 'run'), 'dr', TINY_VIT);
});

describe('fundus-train serve', () => {
  test('a usage error without a model', async () => {
    const r = await cli(['serve']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--run DIR or --checkpoint DIR/);
  });

  test('serves on a free port until SIGINT, then exits 0', async () => {
    const r = await cli(['serve', '--run', run, '--port', '0'], async (out) => {
      for (let i = 0; i < 200 && !/serving .* at (http:\/\/\S+)\//.test(out()); i++) await new Promise((res) => setTimeout(res, 50));
      const url = /serving .* at (http:\/\/\S+)\//.exec(out())![1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      const model = (await (await fetch(`${url}/api/model`)).json()) as { classes: string[]; minEyeDifference: number };
      expect(model.classes).toEqual(['no_dr', 'mild', 'proliferative']);
      expect(model.minEyeDifference).toBe(0.1);
      process.emit('SIGINT');
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/uploaded photographs are not kept/);
    expect(r.out).toMatch(/GET \/ 200 \d+ ms/);
  });
});
