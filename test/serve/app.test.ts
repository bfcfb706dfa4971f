import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { buildServeApp } from '../../src/serve/app';
import { startServer, RunningServer } from '../../src/serve/server';
import { loadPredictor, Predictor } from '../../src/predict/predictor';
import { sniffImageFormat } from '../../src/serve/uploads';
import { EYEPACS, TINY_VIT, trainTinyRun, writeFundus } from '../predict/tiny-runs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-serve-test-'));
let runDir: string;
let predictor: Predictor;
let app: FastifyInstance;
let base: string;
let right: Buffer;
let left: Buffer;
const kept = path.join(tmp, 'kept');

/** A multipart form with the given files (field -> [name, bytes, type]). */
function form(files: Record<string, [string, Buffer, string]>): FormData {
  const f = new FormData();
  for (const [field, [name, bytes, type]] of Object.entries(files)) f.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
  return f;
}

/** A request to the app on its real port (fastify's inject needs an ES module jest cannot load on Node 20). */
async function call(method: 'GET' | 'POST', url: string, payload?: FormData | Record<string, unknown>) {
  const body = payload instanceof FormData ? payload : payload ? JSON.stringify(payload) : undefined;
  const headers: Record<string, string> = payload && !(payload instanceof FormData) ? { 'content-type': 'application/json' } : {};
  const r = await fetch(`${base}${url}`, { method, body, headers });
  const text = await r.text();
  return { statusCode: r.status, headers: Object.fromEntries(r.headers.entries()), body: text, json: () => JSON.parse(text) };
}

const staging = path.join(tmp, 'staging');
const leftovers = () => fs.readdirSync(staging);

beforeAll(async () => {
  runDir = await trainTinyRun(path.join(tmp, 'run'), 'dr', TINY_VIT, { eval: { referableFrom: 1 } });
  predictor = await loadPredictor({ run: runDir });
  // Real photographs when the shared data is here, synthetic ones otherwise.
  const real = fs.existsSync(EYEPACS);
  right = real
    ? fs.readFileSync(path.join(EYEPACS, '13_right.jpeg'))
    : fs.readFileSync(await writeFundus(path.join(tmp, '13_right.jpg'), 0, 160, 120));
  left = real ? fs.readFileSync(path.join(EYEPACS, '13_left.jpeg')) : fs.readFileSync(await writeFundus(path.join(tmp, '13_left.jpg'), 1, 160, 120));
  fs.mkdirSync(staging);
  app = await buildServeApp({ predictor, maxUploadBytes: 2 * 1024 * 1024, keepUploads: kept, displaySide: 320, tmpDir: staging });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  predictor?.model.dispose();
});

describe('serve: pages and the JSON API', () => {
  test('the start page has the Right and Left eye zones and a Predict button; headers keep it private', async () => {
    const r = await call('GET', '/');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(r.body).toMatch(/<form id="form" method="post" action="\/predict" enctype="multipart\/form-data">/);
    expect(r.body).toMatch(/Right eye<span class="abbr">OD/);
    expect(r.body).toMatch(/Left eye<span class="abbr">OS/);
    expect(r.body).toMatch(/<input type="file" name="right"/);
    expect(r.body).toMatch(/<input type="file" name="left"/);
    expect(r.body).toMatch(/<button id="predict" type="submit">Predict<\/button>/);
  });

  test('a good pair: the results page shows both photographs, heatmaps, confidence bars and the referral note; the JSON API says the same', async () => {
    const page = await call('POST', '/predict', form({ right: ['13_right.jpeg', right, 'image/jpeg'], left: ['13_left.jpeg', left, 'image/jpeg'] }));
    expect(page.statusCode).toBe(200);
    const html = page.body;
    expect(html).toMatch(/<h1>Screening result<\/h1>/);
    expect(html).toMatch(/id="referral"/);
    expect(html).toMatch(/Referral rule: /);
    expect(html.match(/<img class="photo"[^>]*src="data:image\/jpeg;base64,/g)).toHaveLength(2);
    expect(html.match(/<img class="heatmap"[^>]*src="data:image\/png;base64,/g)).toHaveLength(2);
    expect(html.match(/<table class="bars"/g)).toHaveLength(2);
    for (const c of predictor.classes) expect(html).toContain(`>${c}</td>`);
    expect(html).toMatch(/13_right\.jpeg/);

    const api = await call(
      'POST',
      '/api/predict',
      form({ right: ['13_right.jpeg', right, 'image/jpeg'], left: ['13_left.jpeg', left, 'image/jpeg'] }),
    );
    expect(api.statusCode).toBe(200);
    const json = api.json();
    expect(json.eyes.map((e: { eye: string }) => e.eye)).toEqual(['right', 'left']);
    for (const e of json.eyes) {
      const sum = Object.values(e.probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(html).toContain(`${(e.top.probability * 100).toFixed(1)}% confidence`);
      const png = await sharp(Buffer.from(e.heatmap.png_base64, 'base64')).metadata();
      expect(png.format).toBe('png');
      expect(Math.max(png.width!, png.height!)).toBe(Math.min(320, Math.max(e.width, e.height)));
    }
    expect(typeof json.patient.referral.refer).toBe('boolean');
    expect(json.patient.referral.text).toMatch(
      json.patient.referral.refer ? /^Please see an ophthalmologist/ : /^No referral from the eye-difference rule/,
    );
    expect(html).toContain(json.patient.referral.reason.replace(/'/g, '&#39;'));
    expect(json.patient.levelText).toMatch(/worse eye/);
    // Nothing left in the temporary folder; --keep-uploads kept both requests' photographs and results.
    expect(leftovers()).toEqual([]);
    const folders = fs.readdirSync(kept);
    expect(folders).toHaveLength(2);
    expect(fs.readdirSync(path.join(kept, folders[0])).sort()).toEqual(['left.jpg', 'result.json', 'right.jpg']);
  });

  test('?images=0 leaves the images out of the JSON; one eye alone gets its grade and a note instead of the pair rule', async () => {
    const r = await call('POST', '/api/predict?images=0', form({ left: ['only-left.jpeg', left, 'image/jpeg'] }));
    expect(r.statusCode).toBe(200);
    const json = r.json();
    expect(json.eyes).toHaveLength(1);
    expect(json.eyes[0].photo_jpeg_base64).toBeUndefined();
    expect(json.patient).toBeNull();
    expect(json.note).toMatch(/need both eyes/);
  });

  test('two requests at once are served one after the other, both complete', async () => {
    const send = () => call('POST', '/api/predict?images=0', form({ right: ['r.jpeg', right, 'image/jpeg'], left: ['l.jpeg', left, 'image/jpeg'] }));
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(a.json().eyes).toEqual(b.json().eyes);
  });
});

describe('serve: bad uploads get an error page and the app keeps serving', () => {
  test('a text file renamed .jpg is refused by its content', async () => {
    const text = Buffer.from('Dear colleague, please find the photographs attached.\n'.repeat(20));
    const r = await call('POST', '/predict', form({ right: ['fundus.jpg', text, 'image/jpeg'], left: ['13_left.jpeg', left, 'image/jpeg'] }));
    expect(r.statusCode).toBe(415);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.body).toMatch(/id="error"/);
    expect(r.body).toMatch(/Right eye \(fundus\.jpg\): not an image; its content is not JPEG, PNG, TIFF or WebP, whatever its name says/);
    const api = await call('POST', '/api/predict', form({ left: ['fundus.jpg', text, 'image/jpeg'] }));
    expect(api.statusCode).toBe(415);
    expect(api.json().error).toMatch(/Left eye \(fundus\.jpg\): not an image/);
    expect((await call('GET', '/')).statusCode).toBe(200);
  });

  test('a damaged JPEG (cut in half) is a 422 naming the eye', async () => {
    const cut = left.subarray(0, Math.floor(left.length / 2));
    const r = await call('POST', '/api/predict', form({ left: ['13_left.jpeg', cut, 'image/jpeg'] }));
    expect(r.statusCode).toBe(422);
    expect(r.json().error).toMatch(/^left eye \(13_left\.jpeg\): the photograph cannot be read/);
    // The upload was on disk only while it was tried.
    expect(leftovers()).toEqual([]);
  });

  test('no file, a wrong field and a non-multipart request are clear 4xx errors', async () => {
    const none = await call('POST', '/predict', form({}));
    expect(none.statusCode).toBe(400);
    expect(none.body).toMatch(/no photograph was uploaded: choose a right-eye and a left-eye photograph/);
    // A browser sends an empty part for a zone left empty.
    const empty = await call('POST', '/api/predict', form({ right: ['', Buffer.alloc(0), 'application/octet-stream'] }));
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toMatch(/no photograph was uploaded/);
    const wrong = await call('POST', '/api/predict', form({ photo: ['x.jpeg', left, 'image/jpeg'] }));
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toMatch(/unexpected file field "photo"/);
    const json = await call('POST', '/api/predict', { right: 'x' });
    expect(json.statusCode).toBe(415);
    expect(json.json().error).toMatch(/multipart\/form-data/);
    const missing = await call('GET', '/nothing-here');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toMatch(/the upload page is at \//);
  });

  test('a file over the limit is a 413 page (on a real port: a 50 MB upload), and the server goes on serving', async () => {
    const server: RunningServer = await startServer({ run: runDir, port: 0, maxUploadMb: 20 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // A JPEG header followed by 50 MB: far above the 20 MB limit.
      const big = Buffer.alloc(50 * 1024 * 1024, 7);
      big[0] = 0xff;
      big[1] = 0xd8;
      big[2] = 0xff;
      const r = await fetch(`${server.url}/predict`, {
        method: 'POST',
        body: form({ right: ['huge.jpg', big, 'image/jpeg'], left: ['13_left.jpeg', left, 'image/jpeg'] }),
      });
      expect(r.status).toBe(413);
      const body = await r.text();
      expect(body).toMatch(/<h1>Photograph too large<\/h1>/);
      expect(body).toMatch(/larger than the upload limit of 20 MB/);
      const again = await fetch(`${server.url}/api/predict?images=0`, {
        method: 'POST',
        body: form({ right: ['13_right.jpeg', right, 'image/jpeg'], left: ['13_left.jpeg', left, 'image/jpeg'] }),
      });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { eyes: unknown[] }).eyes).toHaveLength(2);
    } finally {
      await server.close();
    }
  });
});

test('content sniffing: magic bytes, not names', () => {
  expect(sniffImageFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
  expect(sniffImageFormat(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('png');
  expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
  expect(sniffImageFormat(Buffer.from('II*\0'))).toBe('tiff');
  expect(sniffImageFormat(Buffer.from('GIF89a'))).toBeNull();
  expect(sniffImageFormat(Buffer.from('<html>'))).toBeNull();
});
