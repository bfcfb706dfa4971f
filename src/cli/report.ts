import * as path from 'path';
import type { Argv } from 'yargs';
import { compareRuns } from '../eval/report/runs';
import { writeFileAtomic } from '../util/fs';
import {
  aggregateFiles,
  aggregateStudy,
  formatAggregateCsv,
  formatAggregateLatex,
  formatAggregateText,
  writePooledPredictions,
} from '../sweep/aggregate';
import { renderAggregatePlot } from '../sweep/aggregate-plot';
import { isStudyDir } from '../sweep/plan';

export interface ReportArgs {
  runs: string[];
  metrics?: string[];
  out?: string;
}

export function reportBuilder(y: Argv): Argv<ReportArgs> {
  return y
    .positional('runs', {
      type: 'string',
      array: true,
      demandOption: true,
      describe: 'run directories (or their eval-* folders), or one study directory',
    })
    .option('metrics', { type: 'string', array: true, describe: 'headline metric keys to show (default: a short list per task)' })
    .option('out', { type: 'string', describe: 'write the LaTeX table to this file (default: print it)' }) as unknown as Argv<ReportArgs>;
}

/** One table comparing several runs: text on the console, LaTeX to a file or stdout. */
export async function runReport(args: ReportArgs): Promise<number> {
  if (args.runs.length === 1 && isStudyDir(args.runs[0])) return reportStudy(args.runs[0], args);
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

/**
 * A study directory: per combination, mean ± sd over folds and seeds and the pooled predictions'
 * metrics with bootstrap intervals; text, CSV, LaTeX and a plot under <study>/report/.
 */
async function reportStudy(dir: string, args: ReportArgs): Promise<number> {
  const aggregate = aggregateStudy(dir, { metrics: args.metrics });
  const files = aggregateFiles(aggregate.plan.dir);
  const text = formatAggregateText(aggregate);
  const latex = formatAggregateLatex(aggregate);
  writeFileAtomic(files.text, text);
  writeFileAtomic(files.csv, formatAggregateCsv(aggregate));
  writeFileAtomic(files.latex, latex);
  const pooled = writePooledPredictions(aggregate);
  writeFileAtomic(files.plot, await renderAggregatePlot(aggregate));
  if (args.out) writeFileAtomic(args.out, latex);
  process.stdout.write(text);
  process.stdout.write(
    `outputs in ${path.dirname(files.text)}: aggregate.txt aggregate.csv aggregate.tex aggregate.png pooled/ (${pooled.length} pooled predictions file(s), for fundus-train score)\n`,
  );
  return 0;
}
