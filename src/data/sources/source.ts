import type { z } from 'zod';
import type { Dataset } from '../types';

export interface LoadDatasetOptions {
  /** The experiment seed (the synthetic source renders from it). */
  seed: number;
  /** Folder a relative data.cache.dir is taken from; default: the working directory. */
  cwd?: string;
  /** Where a problem that appears while images load (the disk cache cannot be written) is reported; default: stderr. */
  warn?: (line: string) => void;
}

/**
 * What a `data.source` is: its name, the zod schema of its config (the common fields included), how its
 * paths become absolute, and its loader. A new source is one file defining this and a line in registry.ts.
 */
export interface DataSource<Name extends string = string, Schema extends z.ZodType = z.ZodType> {
  name: Name;
  schema: Schema;
  /** Makes every path absolute (relative ones from the config file's folder, or from the dataset's root). */
  resolvePaths(cfg: z.output<Schema>, configDir: string): z.output<Schema>;
  load(cfg: z.output<Schema>, opts: LoadDatasetOptions): Promise<Dataset>;
}

/** Checks a source definition's parts against each other at compile time. */
export function defineSource<Name extends string, Schema extends z.ZodType>(source: DataSource<Name, Schema>): DataSource<Name, Schema> {
  return source;
}
