import type { Argv } from 'yargs';
import { resolveConfig } from '../config/resolve';
import { BACKEND_NAMES, BackendName } from '../backend/select';
import { train } from '../train/trainer';
import { formatHeadline } from '../eval/report/text';
import { ProgressLogger } from './progress';

export interface TrainArgs {
  config: string;
  set: string[];
  out?: string;
  backend?: BackendName;
  resume: boolean;
  fold?: number;
}

export function trainBuilder(y: Argv): Argv<TrainArgs> {
  return y
    .option('config', { type: 'string', demandOption: true, describe: 'experiment config (YAML or JSON)' })
    .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a config value: --set train.epochs=3' })
    .option('out', { type: 'string', describe: 'run directory (default: config out, else runs/<name>)' })
    .option('backend', { choices: BACKEND_NAMES, describe: 'TensorFlow.js backend (overrides the config)' })
    .option('resume', { type: 'boolean', default: false, describe: 'continue the run in the run directory from its last checkpoint' })
    .option('fold', {
      type: 'number',
      describe: 'k-fold cross-validation: train with this fold (0 .. data.split.folds-1) as validation',
    }) as unknown as Argv<TrainArgs>;
}

export async function runTrain(args: TrainArgs): Promise<number> {
  const overrides = [...args.set];
  if (args.backend) overrides.push(`backend=${args.backend}`);
  if (args.fold !== undefined) overrides.push(`data.split.fold=${args.fold}`);
  const { config, outDir } = resolveConfig(args.config, overrides, args.out);
  const logger = new ProgressLogger();
  const result = await train({ config, outDir, resume: args.resume, callbacks: [logger] });
  if (result.test) {
    logger.onMessage(`test metrics (best checkpoint, epoch ${result.bestEpoch ?? 'n/a'}):`);
    for (const line of formatHeadline(result.test).split('\n')) logger.onMessage(`    ${line}`);
  }
  logger.onMessage(`outputs in ${outDir}: config.json manifest.json splits.csv metrics.jsonl checkpoints/ metrics.json predictions.csv report/`);
  return 0;
}
