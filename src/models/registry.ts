import { z } from 'zod';
import { UserError } from '../util/errors';
import { ClassifierModel, PretrainedCfg } from './classifier';
import { Initializer } from './layers/init';
import { ArgsSchema, parseModelArgs } from './model-args';

/** What every model builder accepts; family-specific arguments go in `args`. */
export interface ModelOptions {
  numClasses: number;
  /** Square input size; defaults to the variant's native size. */
  imageSize?: number;
  /** Seed of the weight initialisation. */
  seed?: number;
  /** Dropout before the classifier. */
  dropRate?: number;
  /** Stochastic depth rate (linearly increasing over blocks). */
  dropPathRate?: number;
  /**
   * Recompute each block's activations in the training backward pass (timm's set_grad_checkpointing):
   * less memory per image for one more forward pass. A family that cannot is a UserError.
   */
  checkpointActivations?: boolean;
  /** false: weights start at zero instead of a random draw (when loading weights next, or to count parameters). */
  initialize?: boolean;
  /**
   * Overrides of the variant's architecture arguments (e.g. {depth: 2}), as timm's create_model kwargs;
   * checked against the family's schema (numClasses, imgSize, dropRate, dropPathRate are set above, not here).
   */
  args?: Record<string, unknown>;
}

export type ResolvedModelOptions = Required<Pick<ModelOptions, 'numClasses' | 'imageSize' | 'seed'>> &
  Omit<ModelOptions, 'args' | 'checkpointActivations'>;

export interface ModelEntry<S extends ArgsSchema = ArgsSchema> {
  /** timm's name for the variant. */
  name: string;
  family: string;
  pretrainedCfg: PretrainedCfg;
  /** Parameter count timm publishes for this variant (millions, 2 decimals) and the head it counts. */
  timmParams?: { millions: number; numClasses: number };
  /** The family's `args`: strict, every key optional. */
  argsSchema: S;
  build(options: ResolvedModelOptions, args: z.output<S>, init: Initializer): ClassifierModel;
}

const registry = new Map<string, ModelEntry>();

export function registerModel<S extends ArgsSchema>(entry: ModelEntry<S>): void {
  if (registry.has(entry.name)) throw new Error(`model "${entry.name}" registered twice`);
  registry.set(entry.name, entry as unknown as ModelEntry);
}

export function listModels(family?: string): string[] {
  return [...registry.values()]
    .filter((e) => !family || e.family === family)
    .map((e) => e.name)
    .sort();
}

export function getModelEntry(name: string): ModelEntry {
  const entry = registry.get(name);
  if (!entry) {
    const names = [...registry.keys()];
    const close = names.filter((n) => n.startsWith(name.split('_')[0]));
    throw new UserError(`unknown model "${name}"; registered: ${(close.length ? close : names).join(', ')}`);
  }
  return entry;
}

/** Checks `args` for a registered model (a one-line UserError naming the key) without building it. */
export function checkModelArgs(name: string, args: Record<string, unknown> | undefined): void {
  const entry = getModelEntry(name);
  parseModelArgs(name, entry.argsSchema, args);
}

/** Builds a registered model (timm's create_model). */
export function createModel(name: string, options: ModelOptions): ClassifierModel {
  const entry = getModelEntry(name);
  const args = parseModelArgs(name, entry.argsSchema, options.args);
  const { args: _args, checkpointActivations, ...rest } = options;
  void _args;
  const resolved: ResolvedModelOptions = { seed: 0, imageSize: entry.pretrainedCfg.inputSize, ...rest };
  const model = entry.build(resolved, args, new Initializer(resolved.seed, options.initialize === false));
  if (checkpointActivations) {
    try {
      model.setGradCheckpointing(true);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  return model;
}

/**
 * Rebuilds a model from what `getConfig()` returned: the keys createModel takes beside `args`
 * (numClasses, imgSize, dropRate, dropPathRate) are taken out, the rest are the family's args.
 */
export function createModelFromConfig(
  name: string,
  config: Record<string, unknown>,
  options: Pick<ModelOptions, 'seed' | 'initialize'> = {},
): ClassifierModel {
  const { numClasses, imgSize, dropRate, dropPathRate, ...args } = config;
  return createModel(name, {
    ...options,
    numClasses: numClasses as number,
    imageSize: imgSize as number,
    ...(dropRate !== undefined ? { dropRate: dropRate as number } : {}),
    ...(dropPathRate !== undefined ? { dropPathRate: dropPathRate as number } : {}),
    args,
  });
}
