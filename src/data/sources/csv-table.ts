import * as fs from 'fs';
import { parse } from 'csv-parse/sync';
import { UserError } from '../../util/errors';

/** A CSV label file read whole: trimmed header names and rows with the line number each ends on. */
export interface CsvTable {
  file: string;
  header: string[];
  rows: Array<{ values: string[]; line: number }>;
}

/**
 * Reads a CSV with a header row. Errors name the file (and csv-parse's line); `key` is the config
 * key that named the file, for the message when it is missing.
 */
export function readCsvTable(file: string, key: string): CsvTable {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new UserError(`${key}: file not found: ${file}`);
  }
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(fs.readFileSync(file), { bom: true, info: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (e) {
    throw new UserError(`cannot read CSV ${file}: ${e instanceof Error ? e.message.replace(/\s+/g, ' ') : String(e)}`);
  }
  if (records.length === 0) throw new UserError(`${file} is empty; it needs a header row and one row per image`);
  const [head, ...body] = records;
  return { file, header: head.record.map((h) => h.trim()), rows: body.map((r) => ({ values: r.record, line: r.info.lines })) };
}

/** Header names compare without case, spaces or underscores ("Image name " matches "image_name"). */
function loose(name: string): string {
  return name.toLowerCase().replace(/[\s_]+/g, '');
}

/**
 * The index of a column: exact name first, then a loose match (real label files differ in case and
 * stray spaces). Missing: a UserError naming the file, the config key and the columns there are.
 */
export function findColumn(table: CsvTable, name: string, key: string): number {
  const exact = table.header.indexOf(name.trim());
  if (exact >= 0) return exact;
  const matches = table.header.map((h, i) => [loose(h), i] as const).filter(([h]) => h === loose(name));
  if (matches.length === 1) return matches[0][1];
  throw new UserError(`${table.file}: no column "${name}" (${key}); its columns are: ${table.header.join(', ')}`);
}
