import type { Argv } from 'yargs';
import { BACKEND_NAMES, BackendName } from '../backend/select';
import { formatPredictReport } from '../predict/format';
import { predict } from '../predict/run';
import { EXIT_OK, EXIT_USER } from './output';
import { modelSourceOptions } from './model-source-options';

export interface PredictArgs {
  images: string[];
  run?: string;
  checkpoint?: string;
  which?: 'best' | 'last';
  pair?: string[];
  pairs?: string;
  'pair-by-name': boolean;
  json: boolean;
  cam?: string;
  tta: boolean;
  'min-eye-difference'?: number;
  backend?: BackendName;
}

export function predictBuilder(y: Argv): Argv<PredictArgs> {
  return modelSourceOptions(y, 'use')
    .positional('images', { type: 'string', array: true, default: [], describe: 'image files, folders, or quoted glob patterns ("photos/*.jpg")' })
    .option('which', { choices: ['best', 'last'] as const, describe: 'with --run: which checkpoint (default best)' })
    .option('pair', { type: 'string', array: true, nargs: 2, describe: 'an eye pair: RIGHT LEFT (repeatable)' })
    .option('pairs', { type: 'string', describe: 'CSV of eye pairs with columns right,left[,patient]' })
    .option('pair-by-name', { type: 'boolean', default: true, describe: 'pair images named <id>_right / <id>_left (--no-pair-by-name: do not)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the results as JSON' })
    .option('cam', { type: 'string', describe: 'write heatmap PNGs (Grad-CAM over each photograph, its own size) into this folder' })
    .option('tta', { type: 'boolean', default: false, describe: 'test-time augmentation: average over the image and its mirror images' })
    .option('min-eye-difference', {
      type: 'number',
      describe: "referral rule: refer when the eyes' probabilities differ by less than this for every class (default 0.1)",
    })
    .option('backend', { choices: BACKEND_NAMES, describe: "backend (default: the run's)" }) as unknown as Argv<PredictArgs>;
}

/** Exit 0 when every image was predicted, 2 when some could not be read (the others' results are still printed). */
export async function runPredict(args: PredictArgs): Promise<number> {
  // yargs hands every --pair's two files in one flat list (nargs 2 guarantees pairs).
  const flat = args.pair ?? [];
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  const report = await predict({
    run: args.run,
    checkpoint: args.checkpoint,
    which: args.which,
    images: args.images.map(String),
    pairs,
    pairsCsv: args.pairs,
    pairByName: args['pair-by-name'],
    tta: args.tta,
    camDir: args.cam,
    minEyeDifference: args['min-eye-difference'],
    backend: args.backend,
  });
  process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : formatPredictReport(report));
  const failed = report.images.filter((i) => !i.ok).length + report.inputProblems.length;
  if (failed > 0 && !args.json)
    process.stderr.write(
      `fundus-train: ${failed} of ${report.images.length + report.inputProblems.length} inputs could not be read (listed above)\n`,
    );
  return failed > 0 ? EXIT_USER : EXIT_OK;
}
