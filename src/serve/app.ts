import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { DEFAULT_REFERRAL_RULE, referralRuleText, ReferralRule } from '../predict/patient';
import { probabilityKind } from '../predict/predict';
import { Predictor } from '../predict/predictor';
import { errorPage, PageContext, resultsPage, uploadPage } from './pages';
import { Eye, EyeUpload, screen, Screening, screeningJson } from './screening';
import { SerialQueue } from './serial';
import { checkUploadedImage, UploadError } from './uploads';
import { makeDirs } from '../util/fs';
import { DEFAULT_MAX_IMAGE_PIXELS } from '../data/image';

export const DEFAULT_MAX_UPLOAD_MB = 20;

export interface ServeAppOptions {
  /** The model, loaded once before the app starts. */
  predictor: Predictor;
  /** Largest accepted photograph in bytes (default 20 MB). */
  maxUploadBytes?: number;
  /** Keep each request's photographs and result here (a folder per request); default: nothing is kept. */
  keepUploads?: string;
  rule?: ReferralRule;
  /** Longest side of the photographs and heatmaps on the results page (default 640). */
  displaySide?: number;
  /** Where uploads stay while they are predicted (removed right after); default: the system's temporary folder. */
  tmpDir?: string;
  /** One line per request (method, path, status, milliseconds); default: silent. */
  log?: (line: string) => void;
}

const EYE_LABEL: Record<Eye, string> = { right: 'Right eye', left: 'Left eye' };

/** Headers on every response: nothing cached (patient photographs), nothing loaded from elsewhere. */
const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; img-src 'self' data: blob:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

/** The status and the sentence a refused or failed request gets. */
export function describeError(err: FastifyError | Error, maxUploadMb: number): { status: number; message: string } {
  if (err instanceof UploadError) return { status: err.statusCode, message: err.message };
  const code = (err as FastifyError).code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return {
        status: 413,
        message: `a photograph is larger than the upload limit of ${maxUploadMb} MB; send a smaller file (fundus photographs are usually 1-10 MB)`,
      };
    case 'FST_FILES_LIMIT':
      return { status: 413, message: 'too many files: send at most two photographs, one per eye (fields "right" and "left")' };
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return { status: 413, message: 'too many form fields: send only the "right" and "left" photographs' };
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: 'send the photographs as a multipart/form-data upload with the fields "right" and "left"' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `the request is larger than the upload limit of ${maxUploadMb} MB` };
    case 'FST_ERR_CTP_EMPTY_BODY':
      return { status: 400, message: 'the request is empty: send the "right" and "left" photographs' };
  }
  // busboy's parse errors carry no status: a request without a boundary, or cut short, is the client's fault.
  if (
    /Boundary not found|Unexpected end of (form|multipart data)|Malformed part header|Part terminated early|Malformed urlencoded form/i.test(
      err.message,
    )
  ) {
    return {
      status: 400,
      message: `the upload is not a complete multipart/form-data request (${err.message}); send the "right" and "left" photographs again`,
    };
  }
  const status = (err as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return { status, message: err.message };
  return {
    status: 500,
    message: 'the server could not process this request (the details are in its log); it keeps running, so try again or with other photographs',
  };
}

/** The uploaded photographs of one request, checked by content; an empty zone (no file chosen) is skipped. */
async function readUploads(req: FastifyRequest, maxUploadBytes: number, minSide: number, maxPixels: number): Promise<EyeUpload[]> {
  if (!req.isMultipart()) throw new UploadError(415, 'send the photographs as a multipart/form-data upload with the fields "right" and "left"');
  const uploads: EyeUpload[] = [];
  for await (const part of req.parts({ limits: { fileSize: maxUploadBytes, files: 2, fields: 8, parts: 10 } })) {
    if (part.type !== 'file') continue;
    const bytes = await part.toBuffer();
    const eye = part.fieldname;
    if (eye !== 'right' && eye !== 'left') throw new UploadError(400, `unexpected file field "${eye}": send the photographs as "right" and "left"`);
    if (bytes.length === 0 && !part.filename) continue;
    if (uploads.some((u) => u.eye === eye)) throw new UploadError(400, `two files for the ${eye} eye: send one photograph per eye`);
    uploads.push({ eye, filename: part.filename || `${eye} eye`, bytes, format: '' });
  }
  if (uploads.length === 0) throw new UploadError(400, 'no photograph was uploaded: choose a right-eye and a left-eye photograph');
  for (const u of uploads) u.format = (await checkUploadedImage(u.bytes, `${EYE_LABEL[u.eye]} (${u.filename})`, minSide, maxPixels)).format;
  return uploads;
}

/** Saves one request's photographs and its result (without images) in a new folder under `dir`. */
function keep(dir: string, uploads: EyeUpload[], screening: Screening): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const folder = path.join(dir, `${stamp}-${randomBytes(3).toString('hex')}`);
  makeDirs(folder);
  for (const u of uploads) fs.writeFileSync(path.join(folder, `${u.eye}.${u.format === 'jpeg' ? 'jpg' : u.format}`), u.bytes, { mode: 0o600 });
  fs.writeFileSync(path.join(folder, 'result.json'), JSON.stringify(screeningJson(screening, false), null, 2) + '\n', { mode: 0o600 });
  return folder;
}

/**
 * The screening web app: GET / (upload page), POST /predict (results page), POST /api/predict (the
 * same result as JSON), GET /api/model, GET /health. Requests go through the model one at a time.
 * Bad uploads get an error page (JSON on /api/) with a 4xx status and the app keeps serving.
 */
export async function buildServeApp(options: ServeAppOptions): Promise<FastifyInstance> {
  const { predictor } = options;
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_MB * 1024 * 1024;
  const maxUploadMb = Math.round((maxUploadBytes / (1024 * 1024)) * 10) / 10;
  const rule = options.rule ?? DEFAULT_REFERRAL_RULE;
  const displaySide = options.displaySide ?? 640;
  const minSide = predictor.config.data.minImageSize;
  // Runs trained before data.maxImagePixels existed have no such key: the default applies.
  const maxPixels = predictor.config.data.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const queue = new SerialQueue();
  const epoch = predictor.metadata.epoch ? `, epoch ${predictor.metadata.epoch}` : '';
  const ctx: PageContext = { model: `${predictor.config.model.name}${epoch}`, maxUploadMb, ruleText: referralRuleText(rule) };
  if (options.keepUploads) makeDirs(options.keepUploads);

  const app = Fastify({ logger: false });
  await app.register(multipart, { limits: { fileSize: maxUploadBytes, files: 2 } });

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
  if (options.log) {
    const log = options.log;
    app.addHook('onResponse', async (req, reply) => log(`${req.method} ${req.url} ${reply.statusCode} ${Math.round(reply.elapsedTime)} ms`));
  }

  const isApi = (req: FastifyRequest) => req.url.startsWith('/api/');
  const fail = (req: FastifyRequest, reply: FastifyReply, status: number, message: string) =>
    isApi(req)
      ? reply.code(status).type('application/json; charset=utf-8').send({ error: message, status })
      : reply
          .code(status)
          .type('text/html; charset=utf-8')
          .send(errorPage(status, message, ctx));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, message } = describeError(err, maxUploadMb);
    if (status >= 500) process.stderr.write(`fundus-train serve: ${req.method} ${req.url}: ${err.stack ?? err.message}\n`);
    return fail(req, reply, status, message);
  });
  app.setNotFoundHandler((req, reply) => fail(req, reply, 404, `there is no page ${req.method} ${req.url}; the upload page is at /`));

  const run = async (req: FastifyRequest, heatmaps: boolean): Promise<Screening> => {
    const uploads = await readUploads(req, maxUploadBytes, minSide, maxPixels);
    const screening = await queue.run(() => screen(predictor, uploads, { rule, displaySide, heatmaps, tmpDir: options.tmpDir }));
    if (options.keepUploads) keep(options.keepUploads, uploads, screening);
    return screening;
  };

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(uploadPage(ctx)));
  app.post('/predict', async (req, reply) => reply.type('text/html; charset=utf-8').send(resultsPage(await run(req, true), ctx)));
  app.post('/api/predict', async (req, reply) => {
    const query = req.query as Record<string, string | undefined>;
    const images = query.images !== '0' && query.images !== 'false';
    return reply.send(screeningJson(await run(req, images), images));
  });
  app.get('/api/model', async () => ({
    model: predictor.config.model.name,
    checkpoint: predictor.checkpoint,
    epoch: predictor.metadata.epoch ? Number(predictor.metadata.epoch) : null,
    task: predictor.task,
    classes: predictor.classes,
    probabilities: probabilityKind(predictor),
    referralRule: referralRuleText(rule),
    minEyeDifference: rule.minEyeDifference,
    maxUploadBytes,
  }));
  app.get('/health', async () => ({ ok: true, queued: queue.pending }));
  return app;
}
