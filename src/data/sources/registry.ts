import { aptosSource } from './aptos';
import { csvSource } from './csv';
import { idridSource } from './idrid';
import { imageFolderSource } from './image-folder';
import { kaggleDrSource } from './kaggle-dr';
import { odirSource } from './odir';
import { refugeSource } from './refuge';
import { DataSource } from './source';
import { syntheticSource } from './synthetic';

/**
 * Every `data.source`, in the order the config error lists them. A new source is a file defining its
 * schema, path resolution and loader (see source.ts) and one entry here; the config union and the
 * loader table are built from this list.
 */
export const DATA_SOURCES = [
  syntheticSource,
  imageFolderSource,
  csvSource,
  refugeSource,
  kaggleDrSource,
  aptosSource,
  idridSource,
  odirSource,
] as const;

export type DataSourceName = (typeof DATA_SOURCES)[number]['name'];

/** The source of a name (names come from a validated config, so an unknown one is a programming error). */
export function getDataSource(name: string): DataSource {
  const source = DATA_SOURCES.find((s) => s.name === name);
  if (!source) throw new Error(`unknown data source "${name}"`);
  return source as unknown as DataSource;
}
