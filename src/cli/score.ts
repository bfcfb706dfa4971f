import type { Argv } from 'yargs';
import { scorePredictions } from '../eval/score';

export interface ScoreArgs {
  predictions: string;
  bootstrap: number;
  seed: number;
  specificity: number;
  'referable-from'?: number;
  json: boolean;
}

export function scoreBuilder(y: Argv): Argv<ScoreArgs> {
  return y
    .option('predictions', {
      type: 'string',
      demandOption: true,
      describe: 'predictions CSV: image,label,p_<class>... or image,y_<label>...,p_<label>...',
    })
    .option('bootstrap', { type: 'number', default: 1000, describe: 'bootstrap resamples for 95% intervals (0 = none)' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the bootstrap' })
    .option('specificity', { type: 'number', default: 0.85, describe: 'binary: specificity for sensitivity-at-specificity' })
    .option('referable-from', { type: 'number', describe: 'graded classes: referable AUC for class index >= N' })
    .option('json', { type: 'boolean', default: false, describe: 'print the metrics as JSON' }) as unknown as Argv<ScoreArgs>;
}

export async function runScore(args: ScoreArgs): Promise<number> {
  const { report, text } = scorePredictions(args.predictions, {
    bootstrap: args.bootstrap,
    seed: args.seed,
    specificity: args.specificity,
    ordinal: args['referable-from'] !== undefined ? { referableFrom: args['referable-from'] } : undefined,
  });
  process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : text);
  return 0;
}
