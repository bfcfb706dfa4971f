import type { Argv } from 'yargs';
import { evaluate } from '../train/evaluate';
import { formatTextReport } from '../eval/report/text';
import type { Split } from '../data/types';

export interface EvalArgs {
  run: string;
  split: Split;
  'data-config'?: string;
  out?: string;
  checkpoint?: 'best' | 'last';
  bootstrap?: number;
  json: boolean;
}

export function evalBuilder(y: Argv): Argv<EvalArgs> {
  return y
    .option('run', { type: 'string', demandOption: true, describe: 'run directory' })
    .option('split', { choices: ['train', 'val', 'test'] as const, default: 'test' as Split, describe: "split of the run's own dataset" })
    .option('data-config', { type: 'string', describe: 'evaluate on another dataset: a config file with a data section (every image is used)' })
    .option('out', { type: 'string', describe: 'output directory (default <run>/eval-<split or dataset>)' })
    .option('checkpoint', { choices: ['best', 'last'] as const, describe: 'checkpoint to evaluate (default best)' })
    .option('bootstrap', { type: 'number', describe: "bootstrap resamples (default: the run's eval.bootstrap)" })
    .option('json', { type: 'boolean', default: false, describe: 'print the metrics as JSON' }) as unknown as Argv<EvalArgs>;
}

export async function runEval(args: EvalArgs): Promise<number> {
  const result = await evaluate({
    runDir: args.run,
    split: args.split,
    dataConfig: args['data-config'],
    out: args.out,
    checkpoint: args.checkpoint,
    bootstrap: args.bootstrap,
  });
  if (args.json) process.stdout.write(JSON.stringify(result.report, null, 2) + '\n');
  else {
    process.stdout.write(formatTextReport(result.report, { title: `${result.images} images, ${result.checkpoint}` }));
    process.stdout.write(`outputs in ${result.outDir}: predictions.csv metrics.json report/\n`);
  }
  return 0;
}
