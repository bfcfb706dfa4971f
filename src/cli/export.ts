import * as path from 'path';
import type { Argv } from 'yargs';
import { initBackend } from '../backend/select';
import { loadRunModel, readRunConfig } from '../train/run-model';
import { exportStateDict } from '../models/state';
import { saveTfjsModel } from '../models/tfjs-format';
import { writeSafetensors } from '../models/weights/safetensors';
import { packageVersion } from '../util/version';

export interface ExportArgs {
  run: string;
  checkpoint?: 'best' | 'last';
  format: 'tfjs' | 'safetensors';
  out: string;
}

export function exportBuilder(y: Argv): Argv<ExportArgs> {
  return y
    .option('run', { type: 'string', demandOption: true, describe: 'run directory' })
    .option('checkpoint', { choices: ['best', 'last'] as const, describe: 'checkpoint to export (default best)' })
    .option('format', { choices: ['tfjs', 'safetensors'] as const, default: 'tfjs' as const, describe: 'tfjs: model.json + weight shards; safetensors: timm names, PyTorch layout' })
    .option('out', { type: 'string', demandOption: true, describe: 'output folder (tfjs) or file (safetensors)' }) as unknown as Argv<ExportArgs>;
}

/** Exports a run's model: TensorFlow.js files for any tfjs backend, or a timm-loadable safetensors file. */
export async function runExport(args: ExportArgs): Promise<number> {
  await initBackend(readRunConfig(args.run).backend);
  const run = loadRunModel(args.run, args.checkpoint);
  const out = path.resolve(args.out);
  if (args.format === 'safetensors') {
    writeSafetensors(out, await exportStateDict(run.model), {
      format: 'pt',
      timm_model: run.config.model.name,
      num_classes: String(run.classes.length),
      classes: JSON.stringify(run.classes),
      image_size: String(run.model.imageSize),
      mean: JSON.stringify(run.config.data.normalize.mean),
      std: JSON.stringify(run.config.data.normalize.std),
    });
    process.stdout.write(`wrote ${out} (timm names, PyTorch layout: timm.create_model('${run.config.model.name}', num_classes=${run.classes.length}).load_state_dict(...))\n`);
  } else {
    const files = await saveTfjsModel(
      run.model,
      out,
      {
        model: run.config.model.name,
        numClasses: run.classes.length,
        imageSize: run.model.imageSize,
        args: run.config.model.args,
        classes: run.classes,
        task: run.metadata.task,
        normalize: run.config.data.normalize,
      },
      `fundus-train ${packageVersion()}`,
    );
    process.stdout.write(`wrote ${files.length} files to ${out}: ${files.join(', ')}\n`);
  }
  run.model.dispose();
  return 0;
}
