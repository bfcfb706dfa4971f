import type { FastifyInstance } from 'fastify';
import { BackendName } from '../backend/select';
import { loadPredictor, Predictor } from '../predict/predictor';
import { referralRuleFor } from '../predict/run';
import { UserError } from '../util/errors';
import { buildServeApp, DEFAULT_MAX_UPLOAD_MB } from './app';

export interface StartServerOptions {
  run?: string;
  checkpoint?: string;
  port?: number;
  /** Interface to listen on (default 127.0.0.1: only this machine can connect). */
  host?: string;
  keepUploads?: string;
  maxUploadMb?: number;
  minEyeDifference?: number;
  backend?: BackendName;
  log?: (line: string) => void;
}

export interface RunningServer {
  app: FastifyInstance;
  predictor: Predictor;
  /** http://host:port */
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

/** Loads the model once, then listens. Port 0 takes a free port (see `url`). */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const maxUploadMb = options.maxUploadMb ?? DEFAULT_MAX_UPLOAD_MB;
  if (!(maxUploadMb > 0)) throw new UserError(`--max-upload-mb must be above 0, got ${maxUploadMb}`);
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port must be a port number (0-65535), got ${port}`);
  const predictor = await loadPredictor({ run: options.run, checkpoint: options.checkpoint, backend: options.backend });
  const app = await buildServeApp({
    predictor,
    maxUploadBytes: Math.round(maxUploadMb * 1024 * 1024),
    keepUploads: options.keepUploads,
    rule: referralRuleFor(predictor.config, options.minEyeDifference),
    log: options.log,
  });
  const host = options.host ?? DEFAULT_HOST;
  try {
    await app.listen({ port, host });
  } catch (e) {
    predictor.model.dispose();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UserError(`port ${port} on ${host} is already in use: choose another with --port`);
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
      throw new UserError(`cannot listen on ${host}: not an address of this machine (--host)`);
    if (err.code === 'EACCES') throw new UserError(`not allowed to listen on port ${port}: use a port above 1023`);
    throw e;
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    app,
    predictor,
    url: `http://${shownHost}:${actualPort}`,
    close: async () => {
      await app.close();
      predictor.model.dispose();
    },
  };
}
