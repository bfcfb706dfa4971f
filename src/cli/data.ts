import type { Argv } from 'yargs';
import { readDataConfig } from '../config/data-section';
import { auditDataset, AuditImage, AuditReport } from '../data/audit';
import { benchmarkPipeline } from '../data/pipeline-throughput';
import { SPLITS } from '../data/types';
import { UserError } from '../util/errors';
import { EXIT_OK, EXIT_USER } from './output';

export interface DataArgs {
  config: string;
  set: string[];
  fold?: number;
  json: boolean;
  bench: boolean;
  'bench-sizes': string;
  'bench-images'?: number;
}

export function dataBuilder(y: Argv): Argv<DataArgs> {
  return y
    .option('config', { type: 'string', demandOption: true, describe: 'experiment config, or a file with just a data section' })
    .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a config value: --set data.split.folds=5' })
    .option('fold', { type: 'number', describe: 'k-fold: audit this fold (sets data.split.fold)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the audit as JSON' })
    .option('bench', {
      type: 'boolean',
      default: false,
      describe: 'measure the images/s the pipeline delivers with and without the disk cache instead',
    })
    .option('bench-sizes', { type: 'string', default: '224,380', describe: 'with --bench: model input sizes' })
    .option('bench-images', { type: 'number', describe: 'with --bench: images per measurement (default all)' }) as unknown as Argv<DataArgs>;
}

function list(images: AuditImage[]): string {
  return images.map((m) => `${m.id} (${m.split})`).join(', ');
}

/** The audit as text: counts per split and class, then each kind of problem (first ten of each). */
export function formatAudit(r: AuditReport): string {
  const lines: string[] = [];
  lines.push(
    `${r.source}: ${r.images} images, ${r.classes.length} classes (${r.task})${r.folds ? `, fold ${r.folds.fold} of ${r.folds.folds}` : ''}`,
  );
  const width = Math.max(5, ...r.classes.map((c) => c.length));
  lines.push(`  ${'class'.padEnd(width)}  ${SPLITS.map((s) => s.padStart(6)).join(' ')}`);
  for (const c of r.classes) lines.push(`  ${c.padEnd(width)}  ${SPLITS.map((s) => String(r.splits[s].classes[c]).padStart(6)).join(' ')}`);
  lines.push(`  ${'images'.padEnd(width)}  ${SPLITS.map((s) => String(r.splits[s].images).padStart(6)).join(' ')}`);
  const section = (title: string, items: string[]): void => {
    lines.push(`${title}: ${items.length === 0 ? 'none' : items.length}`);
    for (const item of items.slice(0, 10)) lines.push(`  ${item}`);
    if (items.length > 10) lines.push(`  ... and ${items.length - 10} more`);
  };
  section('warnings', r.warnings);
  section('missing files', r.missing);
  section(
    'unreadable images',
    r.unreadable.map((u) => u.reason),
  );
  section(
    'exact duplicates',
    r.duplicates.map((d) => list(d.images)),
  );
  section(
    'patients in two splits (leakage)',
    r.patientLeakage.map((p) => `patient ${p.group}: ${list(p.images)}`),
  );
  section(
    'identical files in two splits (leakage)',
    r.duplicateLeakage.map((d) => list(d.images)),
  );
  lines.push(r.ok ? 'ok: no leakage, every image readable' : 'NOT OK: leakage or unreadable images (exit 2)');
  return lines.join('\n') + '\n';
}

export async function runData(args: DataArgs): Promise<number> {
  const overrides = [...args.set];
  if (args.fold !== undefined) overrides.push(`data.split.fold=${args.fold}`);
  const { data, seed } = readDataConfig(args.config, overrides);
  if (args.bench) {
    const sizes = args['bench-sizes'].split(',').map((s) => Number(s.trim()));
    if (sizes.some((s) => !Number.isInteger(s) || s < 16))
      throw new UserError(`--bench-sizes ${args['bench-sizes']}: expected sizes in pixels such as 224,380`);
    const results = await benchmarkPipeline(data, {
      seed,
      sizes,
      images: args['bench-images'],
      onResult: args.json ? undefined : (line) => process.stdout.write(line + '\n'),
    });
    if (args.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return EXIT_OK;
  }
  const progress = process.stderr.isTTY && !args.json;
  const report = await auditDataset(data, {
    seed,
    onProgress: progress
      ? (done, total) => (done % 50 === 0 || done === total) && process.stderr.write(`\rchecked ${done}/${total} images`)
      : undefined,
  });
  if (progress) process.stderr.write('\n');
  process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : formatAudit(report));
  return report.ok ? EXIT_OK : EXIT_USER;
}
