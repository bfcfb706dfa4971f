import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { chromium, BrowserContext } from 'playwright-core';
import * as http from 'http';
import { startServer, RunningServer } from '../../src/serve/server';
import { loadPredictor } from '../../src/predict/predictor';
import { predictFiles } from '../../src/predict/predict';
import { cli } from '../helpers/cli';
import { exportSnippet } from '../export/readme-snippets';
import { EYEPACS, TINY_CNN, trainTinyRun, writeFundus } from '../predict/tiny-runs';

/** Debian's chromium (apt-get install chromium); playwright-core drives it, no browser is downloaded. */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'screenshot-serve.png');
const ready = fs.existsSync(CHROMIUM) && fs.existsSync(EYEPACS);
if (!fs.existsSync(CHROMIUM)) console.log(`skipping the browser test: ${CHROMIUM} is missing (apt-get install -y chromium)`);
else if (!fs.existsSync(EYEPACS)) console.log(`skipping the browser test: the real photographs in ${EYEPACS} are absent`);

const d = ready ? describe : describe.skip;

d('serve in a real browser (chromium, headless)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-browser-'));
  let server: RunningServer;
  let context: BrowserContext;

  beforeAll(async () => {
    // A tiny CNN graded over three DR classes; one epoch on synthetic images (its answers mean nothing).
    const run = await trainTinyRun(path.join(tmp, 'run'), 'dr', { ...TINY_CNN, imageSize: 64 }, { eval: { referableFrom: 1 } });
    server = await startServer({ run, port: 0 });
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1180, height: 900 },
    });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
  });

  test('upload a right and a left eye photograph, press Predict, read the results page', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.setInputFiles('input[name=right]', path.join(EYEPACS, '16_right.jpeg'));
    await page.setInputFiles('input[name=left]', path.join(EYEPACS, '16_left.jpeg'));
    // The page's script shows a preview and the file name in each zone.
    await page.waitForSelector('#zone-right.filled img:not([hidden])');
    await page.waitForSelector('#zone-left.filled img:not([hidden])');
    expect(await page.textContent('#zone-left .filename')).toMatch(/^16_left\.jpeg \(\d+\.\d MB\)$/);
    await page.screenshot({ path: path.join(tmp, 'upload.png') });

    await Promise.all([page.waitForURL(`${server.url}/predict`), page.click('#predict')]);
    expect(await page.textContent('h1')).toBe('Screening result');
    const referral = await page.textContent('#referral');
    expect(referral).toMatch(/Referral: please see an ophthalmologist|No referral from the model's rules/);
    expect(referral).toMatch(/eye-difference rule|could not tell the eyes apart/);
    expect(await page.textContent('#patient')).toMatch(/Patient-level result/);
    for (const eye of ['right', 'left']) {
      const card = page.locator(`#eye-${eye}`);
      expect(await card.locator('h2').textContent()).toMatch(eye === 'right' ? /Right eye/ : /Left eye/);
      expect(await card.locator('.file').textContent()).toMatch(new RegExp(`16_${eye}\\.jpeg · \\d+×\\d+`));
      expect(await card.locator('table.bars tr').count()).toBe(3);
      expect(await card.locator('.grade').textContent()).toMatch(/Predicted: (no_dr|mild|proliferative) \d+\.\d% confidence/);
      // Both images decoded in the browser, at the photograph's aspect ratio.
      const sizes = await card
        .locator('img')
        .evaluateAll((imgs) =>
          imgs.map((i) => [(i as unknown as { naturalWidth: number }).naturalWidth, (i as unknown as { naturalHeight: number }).naturalHeight]),
        );
      expect(sizes).toHaveLength(2);
      for (const [w, h] of sizes) {
        expect(w).toBeGreaterThan(300);
        expect(w / h).toBeGreaterThan(1.2);
      }
    }
    const shot = await page.screenshot({ fullPage: true });
    // A palette PNG keeps the picture and the repository small.
    const png = await sharp(shot).png({ palette: true, quality: 80, effort: 8 }).toBuffer();
    expect(png.length).toBeLessThan(300 * 1024);
    fs.writeFileSync(path.join(tmp, 'results.png'), png);
    if (!fs.existsSync(SCREENSHOT) || process.env.UPDATE_SCREENSHOT === '1') {
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      fs.writeFileSync(SCREENSHOT, png);
    }

    // A text file named like a photograph: an error page, and the app still works afterwards.
    const fake = path.join(tmp, 'fundus.jpg');
    fs.writeFileSync(fake, 'not a photograph\n');
    await page.goto(`${server.url}/`);
    await page.setInputFiles('input[name=right]', fake);
    await Promise.all([page.waitForURL(`${server.url}/predict`), page.click('#predict')]);
    expect(await page.textContent('#error')).toMatch(/Error 415.*Right eye \(fundus\.jpg\): not an image/s);
    await Promise.all([page.waitForURL(`${server.url}/`), page.click('text=Back to the upload page')]);
    expect(await page.isVisible('#predict')).toBe(true);
    await page.close();
  });
});

const BROWSER_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TF_MIN_JS = path.resolve(__dirname, '..', '..', 'node_modules', '@tensorflow', 'tfjs', 'dist', 'tf.min.js');

(fs.existsSync(CHROMIUM) ? describe : describe.skip)('a tfjs export in a web page with stock TensorFlow.js (chromium, headless)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-graph-page-'));
  let site: http.Server;
  let context: BrowserContext;
  let url: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    const run = await trainTinyRun(path.join(tmp, 'run'), 'dr', TINY_CNN);
    const out = path.join(tmp, 'model');
    expect((await cli(['export', '--run', run, '--format', 'tfjs', '--out', out])).code).toBe(0);
    // A photograph at the model's size: the page's resize is then the identity, as fundus-train's is.
    files['/photo.png'] = await writeFundus(path.join(tmp, 'photo.png'), 5, TINY_CNN.imageSize, TINY_CNN.imageSize);
    files['/tf.min.js'] = TF_MIN_JS;
    for (const f of fs.readdirSync(out)) files[`/model/${f}`] = path.join(out, f);
    // Exactly the README's page; nothing else on it (no CDN: the script is stock tfjs from node_modules).
    fs.writeFileSync(path.join(tmp, 'index.html'), `<!doctype html><html><body>\n${exportSnippet('html')}\n</body></html>`);
    files['/'] = path.join(tmp, 'index.html');
    site = http.createServer((req, res) => {
      const file = files[(req.url ?? '/').split('?')[0]];
      if (!file) return void res.writeHead(404).end();
      const type = file.endsWith('.html')
        ? 'text/html'
        : file.endsWith('.js')
          ? 'text/javascript'
          : file.endsWith('.json')
            ? 'application/json'
            : file.endsWith('.png')
              ? 'image/png'
              : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(site.address() as { port: number }).port}/`;
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath: CHROMIUM, headless: true, args: BROWSER_ARGS });
    files.run = run;
  });

  afterAll(async () => {
    await context?.close();
    await new Promise((resolve) => site?.close(resolve));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("the README's page loads the GraphModel and shows fundus-train's class probabilities", async () => {
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url);
    // The page writes its result when the model has run (a string: the test's tsconfig has no DOM types).
    await page.waitForFunction("(document.getElementById('result').textContent || '').length > 0", undefined, { timeout: 60000 });
    const lines = (await page.textContent('#result'))!.trim().split('\n');
    const predictor = await loadPredictor({ run: files.run });
    const [expected] = await predictFiles(predictor, [files['/photo.png']]);
    predictor.model.dispose();
    if (!expected.ok) throw new Error(expected.error);
    expect(lines.map((l) => l.split(' ')[0])).toEqual(predictor.classes);
    lines.forEach((l, i) => expect(Math.abs(Number(l.split(' ')[1]) - expected.probabilities[i])).toBeLessThan(1e-5));
    expect(requests.every((r) => r.startsWith(url))).toBe(true);
    await page.close();
  });
});
