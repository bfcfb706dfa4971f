/**
 * serve under load and abuse (issue 17): 50 concurrent requests of real photographs, mixed
 * with malformed and hostile ones; every answer's status, the server still serving, memory
 * back near its baseline, the security headers, uploads kept only under --keep-uploads,
 * and requests per second / p95 latency at 1, 4 and 16 concurrent clients.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { FastifyInstance } from 'fastify';
import { buildServeApp } from '../../src/serve/app';
import { loadPredictor, Predictor } from '../../src/predict/predictor';
import { EYEPACS, TINY_VIT, trainTinyRun, writeFundus } from '../predict/tiny-runs';
import { pngClaiming } from '../helpers/png';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fundus-serve-abuse-'));
const kept = path.join(tmp, 'kept');
const staging = path.join(tmp, 'staging');
let predictor: Predictor;
let app: FastifyInstance;
let port: number;
let photos: Buffer[] = [];

/** A PNG whose header says side x side RGB: deflated zeros that would decode to 768 MB at 16000 px. */
const pngBomb = (side: number): Buffer => pngClaiming(side, side, { realRows: 64, level: 9 });

function form(files: Record<string, [string, Buffer, string]>): FormData {
  const f = new FormData();
  for (const [field, [name, bytes, type]] of Object.entries(files)) f.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
  return f;
}

async function post(url: string, body: FormData): Promise<{ status: number; headers: Headers; text: string; ms: number }> {
  const t0 = performance.now();
  const r = await fetch(`http://127.0.0.1:${port}${url}`, { method: 'POST', body });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, ms: performance.now() - t0 };
}

/** A raw request with hand-written headers and body (what fetch would not send: no boundary, a body cut short). */
function raw(headers: Record<string, string>, body: Buffer, declaredLength = body.length): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/api/predict', headers: { ...headers, 'content-length': String(declaredLength) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.write(body);
    // A body shorter than its content-length: the client gives up half way.
    if (declaredLength > body.length) setTimeout(() => req.destroy(), 200);
    else req.end();
  }).catch(() => ({ status: 0, text: 'connection closed' })) as Promise<{ status: number; text: string }>;
}

function photoForm(i: number): FormData {
  const a = photos[(2 * i) % photos.length];
  const b = photos[(2 * i + 1) % photos.length];
  return form({ right: [`${i}_right.jpeg`, a, 'image/jpeg'], left: [`${i}_left.jpeg`, b, 'image/jpeg'] });
}

function p95(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)];
}

beforeAll(async () => {
  const runDir = await trainTinyRun(path.join(tmp, 'run'), 'dr', TINY_VIT, { eval: { referableFrom: 1 } });
  predictor = await loadPredictor({ run: runDir });
  if (fs.existsSync(EYEPACS)) {
    photos = fs
      .readdirSync(EYEPACS)
      .filter((n) => /\.jpe?g$/i.test(n))
      .sort()
      .slice(0, 20)
      .map((n) => fs.readFileSync(path.join(EYEPACS, n)));
  } else {
    console.log(`serve load test: ${EYEPACS} is absent; using synthetic photographs instead of real ones`);
    for (let i = 0; i < 4; i++) photos.push(fs.readFileSync(await writeFundus(path.join(tmp, `${i}.jpg`), i, 200, 150)));
  }
  fs.mkdirSync(staging);
  app = await buildServeApp({ predictor, maxUploadBytes: 4 * 1024 * 1024, keepUploads: kept, displaySide: 160, tmpDir: staging });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
}, 300_000);

afterAll(async () => {
  await app?.close();
  predictor?.model.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('malformed multipart is a 400, not a 500 with a stack trace', async () => {
  const errors = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const noBoundary = await raw(
      { 'content-type': 'multipart/form-data' },
      Buffer.from('--x\r\nContent-Disposition: form-data; name="right"\r\n\r\nhello\r\n--x--\r\n'),
    );
    expect(noBoundary.status).toBe(400);
    expect(JSON.parse(noBoundary.text).error).toMatch(/not a complete multipart\/form-data request/);
    const head = Buffer.from('--b\r\nContent-Disposition: form-data; name="right"; filename="r.jpeg"\r\nContent-Type: image/jpeg\r\n\r\n');
    // The body ends inside the file part: no closing boundary.
    const cut = await raw({ 'content-type': 'multipart/form-data; boundary=b' }, Buffer.concat([head, photos[0].subarray(0, 1000)]));
    expect(cut.status).toBe(400);
    expect(JSON.parse(cut.text).error).toMatch(/not a complete multipart\/form-data request \(.*unexpected end of multipart data\)/i);
    expect(errors.mock.calls.map((c) => String(c[0])).join('')).not.toMatch(/fundus-train serve: .*\n\s+at /);
  } finally {
    errors.mockRestore();
  }
  expect(fs.readdirSync(staging)).toEqual([]);
});

test('a 16000x16000 PNG bomb is refused from its header, fast and without the gigabytes', async () => {
  const bomb = pngBomb(16000);
  expect(bomb.length).toBeLessThan(200_000);
  const before = process.memoryUsage().rss;
  const r = await post('/api/predict', form({ right: ['bomb.png', bomb, 'image/png'] }));
  expect(r.status).toBe(413);
  expect(JSON.parse(r.text).error).toMatch(/^Right eye \(bomb\.png\): 16000x16000 pixels \(256 megapixels\) is above the limit of 50 megapixels/);
  expect(r.ms).toBeLessThan(1000);
  expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
});

test('50 concurrent real photographs mixed with abusive uploads: every status right, memory back near baseline, uploads kept only under --keep-uploads', async () => {
  const text = Buffer.from('not a photograph at all\n'.repeat(50));
  const big = Buffer.alloc(5 * 1024 * 1024, 7);
  big.set([0xff, 0xd8, 0xff]);
  const abusive: [string, () => FormData, number][] = [
    ['no file', () => form({}), 400],
    ['not an image', () => form({ right: ['x.jpeg', text, 'image/jpeg'] }), 415],
    ['oversized', () => form({ right: ['big.jpeg', big, 'image/jpeg'] }), 413],
    ['truncated', () => form({ left: ['cut.jpeg', photos[1].subarray(0, photos[1].length >> 1), 'image/jpeg'] }), 422],
    ['bomb', () => form({ right: ['bomb.png', pngBomb(16000), 'image/png'] }), 413],
    [
      'path traversal names',
      () => form({ right: ['../../../../etc/evil.jpeg', photos[0], 'image/jpeg'], left: ['..\\..\\win.jpeg', photos[1], 'image/jpeg'] }),
      200,
    ],
  ];
  // Warm up (first predictions compile kernels), then measure the baseline.
  expect((await post('/api/predict?images=0', photoForm(0))).status).toBe(200);
  global.gc?.();
  const baseline = process.memoryUsage().rss;

  const jobs: Promise<{ kind: string; status: number; expected: number; headers: Headers }>[] = [];
  for (let i = 0; i < 50; i++)
    jobs.push(post('/api/predict?images=0', photoForm(i)).then((r) => ({ kind: 'photo', status: r.status, expected: 200, headers: r.headers })));
  for (let round = 0; round < 2; round++) {
    for (const [kind, body, expected] of abusive)
      jobs.push(post('/api/predict', body()).then((r) => ({ kind, status: r.status, expected, headers: r.headers })));
  }
  const answers = await Promise.all(jobs);
  expect(answers.filter((a) => a.status !== a.expected).map((a) => `${a.kind}: ${a.status} (expected ${a.expected})`)).toEqual([]);
  for (const a of answers) {
    expect(a.headers.get('x-content-type-options')).toBe('nosniff');
    expect(a.headers.get('x-frame-options')).toBe('DENY');
    expect(a.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(a.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  }

  // Still serving, nothing left in the staging folder, and memory back near where it was.
  const after = await post('/api/predict?images=0', photoForm(3));
  expect(after.status).toBe(200);
  expect(fs.readdirSync(staging)).toEqual([]);
  global.gc?.();
  const growth = (process.memoryUsage().rss - baseline) / 2 ** 20;
  console.log(`serve load test: RSS ${(baseline / 2 ** 20).toFixed(0)} MiB before the burst, ${growth.toFixed(0)} MiB above it after`);
  expect(growth).toBeLessThan(400);

  // Kept uploads: only under kept/, as <stamp>/{right,left}.<ext> + result.json, whatever the client named them.
  const keptFiles: string[] = [];
  const walk = (dir: string) => {
    for (const n of fs.readdirSync(dir)) {
      const p = path.join(dir, n);
      if (fs.statSync(p).isDirectory()) walk(p);
      else keptFiles.push(path.relative(kept, p));
    }
  };
  walk(kept);
  expect(keptFiles.length).toBeGreaterThan(0);
  for (const f of keptFiles) expect(f).toMatch(/^[\w-]+\/(right\.jpg|left\.jpg|result\.json)$/);
  expect(fs.existsSync(path.join(tmp, 'etc'))).toBe(false);
  expect(fs.existsSync('/etc/evil.jpeg')).toBe(false);
}, 300_000);

test('requests per second and p95 latency at 1, 4 and 16 concurrent clients', async () => {
  const lines: string[] = [];
  for (const clients of [1, 4, 16]) {
    const perClient = Math.max(1, Math.ceil(8 / clients));
    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let k = 0; k < perClient; k++) {
          const r = await post('/api/predict?images=0', photoForm(c * perClient + k));
          expect(r.status).toBe(200);
          latencies.push(r.ms);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    lines.push(
      `${clients} clients: ${(latencies.length / seconds).toFixed(1)} requests/s, p95 ${p95(latencies).toFixed(0)} ms (${latencies.length} requests)`,
    );
  }
  console.log(`serve throughput (test_vit 32 px, two photographs per request, a shared machine): ${lines.join('; ')}`);
}, 300_000);
