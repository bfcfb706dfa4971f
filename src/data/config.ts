import { z } from 'zod';
import { DATA_SOURCES } from './sources/registry';
import type { DataSource } from './sources/source';

/**
 * The `data` section of an experiment config: the fields every source shares (common-schema.ts) and,
 * chosen by `data.source`, the fields of that source (sources/<name>-schema.ts), one union built from
 * the source registry. The names below stay exported from here for importers of the whole section.
 */

type SchemasOf<T extends readonly DataSource[]> = { -readonly [K in keyof T]: T[K] extends DataSource<string, infer S> ? S : never };

export const dataConfigSchema = z.discriminatedUnion('source', DATA_SOURCES.map((s) => s.schema) as unknown as SchemasOf<typeof DATA_SOURCES>);

export type DataConfig = z.infer<typeof dataConfigSchema>;
export type { DataSourceName } from './sources/registry';

export * from './common-schema';
export * from './constants';
export { resolveDataPaths } from './resolve-paths';
export type { Remap } from './sources/fields';
export { syntheticSourceSchema } from './sources/synthetic-schema';
export type { SyntheticSourceConfig } from './sources/synthetic-schema';
export { imageFolderSourceSchema } from './sources/image-folder-schema';
export type { ImageFolderSourceConfig } from './sources/image-folder-schema';
export { csvSourceSchema } from './sources/csv-schema';
export type { CsvSourceConfig } from './sources/csv-schema';
export { refugeSourceSchema } from './sources/refuge-schema';
export type { RefugeSourceConfig } from './sources/refuge-schema';
export { kaggleDrSourceSchema } from './sources/kaggle-dr-schema';
export type { KaggleDrSourceConfig } from './sources/kaggle-dr-schema';
export { aptosSourceSchema } from './sources/aptos-schema';
export type { AptosSourceConfig } from './sources/aptos-schema';
export { idridSourceSchema } from './sources/idrid-schema';
export type { IdridSourceConfig } from './sources/idrid-schema';
export { odirSourceSchema } from './sources/odir-schema';
export type { OdirSourceConfig } from './sources/odir-schema';
