import type { Argv } from 'yargs';
import { BACKEND_NAMES, BackendName } from '../backend/select';
import { DEFAULT_MAX_UPLOAD_MB } from '../serve/app';
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from '../serve/server';
import { EXIT_OK } from './output';
import { modelSourceOptions } from './model-source-options';

export interface ServeArgs {
  run?: string;
  checkpoint?: string;
  port: number;
  host: string;
  'keep-uploads'?: string;
  'max-upload-mb': number;
  'min-eye-difference'?: number;
  backend?: BackendName;
}

export function serveBuilder(y: Argv): Argv<ServeArgs> {
  return modelSourceOptions(y, 'serve')
    .option('port', { type: 'number', default: DEFAULT_PORT, describe: 'port to listen on (0: any free port)' })
    .option('host', {
      type: 'string',
      default: DEFAULT_HOST,
      describe: 'interface to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface)',
    })
    .option('keep-uploads', { type: 'string', describe: "keep each request's photographs and result in this folder (default: nothing is kept)" })
    .option('max-upload-mb', { type: 'number', default: DEFAULT_MAX_UPLOAD_MB, describe: 'largest photograph accepted, in MB' })
    .option('min-eye-difference', {
      type: 'number',
      describe: "referral rule: refer when the eyes' probabilities differ by less than this for every class (default 0.1)",
    })
    .option('backend', { choices: BACKEND_NAMES, describe: "backend (default: the run's)" }) as unknown as Argv<ServeArgs>;
}

/** Serves until SIGINT or SIGTERM, then closes cleanly. */
export async function runServe(args: ServeArgs): Promise<number> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const server = await startServer({
    run: args.run,
    checkpoint: args.checkpoint,
    port: args.port,
    host: args.host,
    keepUploads: args['keep-uploads'],
    maxUploadMb: args['max-upload-mb'],
    minEyeDifference: args['min-eye-difference'],
    backend: args.backend,
    log,
  });
  log(`${server.predictor.backend.message}`);
  log(
    `serving ${server.predictor.config.model.name} from ${server.predictor.checkpoint} at ${server.url}/ (JSON API: POST ${server.url}/api/predict); Ctrl-C stops`,
  );
  if (!args['keep-uploads']) log('uploaded photographs are not kept');
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return EXIT_OK;
}
