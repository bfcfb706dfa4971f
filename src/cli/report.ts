import type { Argv } from 'yargs';
import { compareRuns } from '../eval/report/runs';
import { writeFileAtomic } from '../util/fs';

export interface ReportArgs {
  runs: string[];
  metrics?: string[];
  out?: string;
}

export function reportBuilder(y: Argv): Argv<ReportArgs> {
  return y
    .positional('runs', { type: 'string', array: true, demandOption: true, describe: 'run directories (or their eval-* folders)' })
    .option('metrics', { type: 'string', array: true, describe: 'headline metric keys to show (default: a short list per task)' })
    .option('out', { type: 'string', describe: 'write the LaTeX table to this file (default: print it)' }) as unknown as Argv<ReportArgs>;
}

/** One table comparing several runs: text on the console, LaTeX to a file or stdout. */
export async function runReport(args: ReportArgs): Promise<number> {
  const { latex, text } = compareRuns(args.runs, { metrics: args.metrics });
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  if (args.out) {
    writeFileAtomic(args.out, latex);
    process.stdout.write(`LaTeX table written to ${args.out}\n`);
  } else {
    process.stdout.write('\n' + latex);
  }
  return 0;
}
