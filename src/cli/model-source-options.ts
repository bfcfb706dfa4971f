import type { Argv } from 'yargs';
import { UserError } from '../util/errors';

/**
 * `--run` / `--checkpoint`, the two ways predict and serve name a model, with the check that exactly one
 * is given. `verb` completes "say which model to ...".
 */
export function modelSourceOptions<T>(y: Argv<T>, verb: 'use' | 'serve'): Argv<T & { run?: string; checkpoint?: string }> {
  return y
    .option('run', { type: 'string', describe: 'run directory (its best checkpoint, else last)' })
    .option('checkpoint', {
      type: 'string',
      describe: 'a checkpoint directory (anywhere) or an export: model.safetensors, a tfjs folder, a .onnx file',
    })
    .check((a) => {
      if (!a.run && !a.checkpoint) throw new UserError(`say which model to ${verb}: --run DIR or --checkpoint DIR`);
      if (a.run && a.checkpoint) throw new UserError('give --run or --checkpoint, not both');
      return true;
    });
}
