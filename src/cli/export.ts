import * as path from 'path';
import type { Argv } from 'yargs';
import { initBackend } from '../backend/select';
import { loadBundleModel } from '../export/bundle-source';
import { ExportFormat, exportModel } from '../export/export-model';
import { sourceBackend } from '../predict/model-source';
import { UserError } from '../util/errors';

export interface ExportArgs {
  run?: string;
  checkpoint?: string;
  which?: 'best' | 'last';
  format: 'tfjs' | ExportFormat;
  out: string;
}

export function exportBuilder(y: Argv): Argv<ExportArgs> {
  return y
    .option('run', { type: 'string', describe: 'run directory (its best checkpoint, else last)' })
    .option('checkpoint', { type: 'string', describe: 'checkpoint directory (anywhere) or model.safetensors' })
    .option('which', { choices: ['best', 'last'] as const, describe: 'with --run: which checkpoint (default best, else last)' })
    .option('format', {
      choices: ['tfjs', 'tfjs-graph', 'onnx', 'safetensors'] as const,
      default: 'tfjs' as const,
      describe: 'tfjs (= tfjs-graph): a GraphModel folder stock TensorFlow.js loads; onnx: a .onnx file; safetensors: timm names, PyTorch layout',
    })
    .option('out', { type: 'string', demandOption: true, describe: 'output folder (tfjs) or file (onnx, safetensors)' })
    .check((a) => {
      if (!a.run === !a.checkpoint) throw new UserError('give --run DIR or --checkpoint DIR (one of them)');
      return true;
    }) as unknown as Argv<ExportArgs>;
}

/** Exports a run's (or a checkpoint's) model with its bundle metadata: classes, output function, preprocessing. */
export async function runExport(args: ExportArgs): Promise<number> {
  const source = (args.run ?? args.checkpoint)!;
  await initBackend(sourceBackend(source, args.which));
  const bundle = loadBundleModel(source, args.which);
  const format: ExportFormat = args.format === 'tfjs' ? 'tfjs-graph' : args.format;
  const out = path.resolve(args.out);
  try {
    const { files, recipe } = await exportModel(bundle, format, out);
    if (format === 'tfjs-graph')
      process.stdout.write(
        `wrote ${files.length} files to ${out}: ${files.join(', ')} (tf.loadGraphModel('<url>/model.json'); input RGB in [0, 1])\n`,
      );
    else process.stdout.write(`wrote ${out}\n`);
    if (recipe) process.stdout.write(`load it in timm:\n${recipe}\n`);
  } finally {
    bundle.model.dispose();
  }
  return 0;
}
