import { UserError } from '../util/errors';
import { ClassifierModel, PretrainedCfg } from './classifier';
import { Initializer } from './layers/init';

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
  /** false: weights start at zero instead of a random draw (when loading weights next, or to count parameters). */
  initialize?: boolean;
  /** Overrides of the variant's architecture arguments (e.g. {depth: 2}), as timm's create_model kwargs. */
  args?: Record<string, unknown>;
}

export interface ModelEntry {
  /** timm's name for the variant. */
  name: string;
  family: string;
  pretrainedCfg: PretrainedCfg;
  /** Parameter count timm publishes for this variant (millions, 2 decimals) and the head it counts. */
  timmParams?: { millions: number; numClasses: number };
  build(options: Required<Pick<ModelOptions, 'numClasses' | 'imageSize' | 'seed'>> & ModelOptions, init: Initializer): ClassifierModel;
}

const registry = new Map<string, ModelEntry>();

export function registerModel(entry: ModelEntry): void {
  if (registry.has(entry.name)) throw new Error(`model "${entry.name}" registered twice`);
  registry.set(entry.name, entry);
}

export function listModels(family?: string): string[] {
  return [...registry.values()].filter((e) => !family || e.family === family).map((e) => e.name).sort();
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

/** Builds a registered model (timm's create_model). */
export function createModel(name: string, options: ModelOptions): ClassifierModel {
  const entry = getModelEntry(name);
  const resolved = { seed: 0, imageSize: entry.pretrainedCfg.inputSize, ...options };
  return entry.build(resolved, new Initializer(resolved.seed, options.initialize === false));
}
