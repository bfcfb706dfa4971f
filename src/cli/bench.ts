import type { Argv } from 'yargs';
import { BACKEND_NAMES, BackendName, initBackend } from '../backend/select';
import { BenchMode, runBench } from '../bench/bench';
import { benchLines } from '../bench/format';
import { getModelEntry } from '../models';
import { UserError } from '../util/errors';

export interface BenchArgs {
  model: string;
  'image-size'?: number;
  'batch-size': number;
  steps: number;
  warmup: number;
  'num-classes': number;
  seed: number;
  mode: BenchMode;
  backend: BackendName;
  profile: boolean;
  json: boolean;
  'micro-batch'?: string;
  'memory-limit-mib'?: number;
  'checkpoint-activations': boolean;
}

export function benchBuilder(y: Argv): Argv<BenchArgs> {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'registered model name, e.g. efficientnet_b0, vit_tiny_patch16_224' })
    .option('image-size', { type: 'number', describe: "square input size (default: the model's native size)" })
    .option('batch-size', { type: 'number', default: 8, describe: 'images per step' })
    .option('steps', { type: 'number', default: 5, describe: 'timed steps (the median is reported)' })
    .option('warmup', { type: 'number', default: 2, describe: 'untimed steps before the timed ones' })
    .option('num-classes', { type: 'number', default: 5, describe: 'classifier outputs' })
    .option('seed', { type: 'number', default: 0, describe: 'seed of the weights and the synthetic images' })
    .option('mode', { choices: ['both', 'train', 'inference'] as const, default: 'both' as BenchMode, describe: 'what to time' })
    .option('backend', { choices: BACKEND_NAMES, default: 'auto' as BackendName, describe: 'TensorFlow.js backend' })
    .option('micro-batch', {
      type: 'string',
      describe: 'images per forward/backward pass of a training step: a number, or auto (the largest that fits); default the whole batch',
    })
    .option('memory-limit-mib', { type: 'number', describe: "memory a step may plan for with --micro-batch auto (default: the wasm heap's 4 GiB)" })
    .option('checkpoint-activations', {
      type: 'boolean',
      default: false,
      describe: "recompute each block's activations in the training backward pass (model.checkpointActivations)",
    })
    .option('profile', { type: 'boolean', default: false, describe: 'also print the self time of every kernel per step' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }) as unknown as Argv<BenchArgs>;
}

export async function runBenchCommand(args: BenchArgs): Promise<number> {
  const entry = getModelEntry(args.model);
  const imageSize = args['image-size'] ?? entry.pretrainedCfg.inputSize;
  positive('--image-size', imageSize);
  positive('--batch-size', args['batch-size']);
  positive('--steps', args.steps);
  positive('--num-classes', args['num-classes']);
  if (!Number.isInteger(args.warmup) || args.warmup < 0) throw new UserError(`--warmup must be an integer ≥ 0, got ${args.warmup}`);
  const microBatch = parseMicroBatch(args['micro-batch']);
  const limit = args['memory-limit-mib'];
  if (limit != null && !(limit > 0)) throw new UserError(`--memory-limit-mib must be a number > 0, got ${limit}`);
  const backend = await initBackend(args.backend);
  if (args.mode !== 'inference' && !backend.gradients) {
    throw new UserError(`the ${backend.name} backend cannot train here (${backend.message}); use --mode inference or another --backend`);
  }
  if (!args.json) process.stderr.write(`${backend.message}\n`);
  const result = await runBench({
    model: args.model,
    imageSize,
    batchSize: args['batch-size'],
    steps: args.steps,
    warmup: args.warmup,
    numClasses: args['num-classes'],
    seed: args.seed,
    mode: args.mode,
    profile: args.profile,
    microBatch,
    memoryLimitMiB: args['memory-limit-mib'],
    checkpointActivations: args['checkpoint-activations'],
  });
  process.stdout.write(
    args.json
      ? JSON.stringify(result) + '\n'
      : benchLines(result)
          .map((l) => l + '\n')
          .join(''),
  );
  if (result.tensorsBefore === result.tensorsAfter) return 0;
  // A leak is our bug, not the user's: exit 1 (internal error).
  process.stderr.write(`fundus-train: internal error: the bench left ${result.tensorsAfter - result.tensorsBefore} tensors behind\n`);
  return 1;
}

function parseMicroBatch(value: string | undefined): number | 'auto' | undefined {
  if (value == null || value === 'auto') return value;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--micro-batch must be a whole number ≥ 1 or auto, got ${value}`);
  return n;
}

function positive(flag: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new UserError(`${flag} must be a whole number ≥ 1, got ${value}`);
}
