import * as fs from 'fs';
import { parse } from 'csv-parse/sync';
import { UserError } from '../../util/errors';

/** Rows of a label file as text cells, each with the line (spreadsheet row) it ends on. */
export interface TableRows {
  file: string;
  rows: Array<{ values: string[]; line: number }>;
}

/** A label file read whole: trimmed header names and rows with the line number each ends on. */
export interface CsvTable extends TableRows {
  header: string[];
}

export function assertFile(file: string, key: string): void {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new UserError(`${key}: file not found: ${file}`);
  }
}

/**
 * Reads a CSV's rows (no header handling). Rows may differ in length (real label files carry trailing
 * empty columns); absent cells read as ''. Errors name the file (and csv-parse's line).
 */
export function readCsvRows(file: string, key: string): TableRows {
  assertFile(file, key);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(fs.readFileSync(file), {
      bom: true,
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (e) {
    throw new UserError(`cannot read CSV ${file}: ${e instanceof Error ? e.message.replace(/\s+/g, ' ') : String(e)}`);
  }
  return { file, rows: records.map((r) => ({ values: r.record, line: r.info.lines })) };
}

/** The first row as a trimmed header, the rest as rows padded to the header's length. */
export function withHeader(rows: TableRows): CsvTable {
  if (rows.rows.length === 0) throw new UserError(`${rows.file} is empty; it needs a header row and one row per image`);
  const [head, ...body] = rows.rows;
  const header = head.values.map((h) => h.trim());
  const pad = (values: string[]): string[] =>
    values.length >= header.length ? values : [...values, ...new Array<string>(header.length - values.length).fill('')];
  return { file: rows.file, header, rows: body.map((r) => ({ values: pad(r.values), line: r.line })) };
}

/**
 * Reads a CSV with a header row. Errors name the file (and csv-parse's line); `key` is the config
 * key that named the file, for the message when it is missing.
 */
export function readCsvTable(file: string, key: string): CsvTable {
  return withHeader(readCsvRows(file, key));
}

/** Header names compare by letters and digits only ("Image name " matches "image_name", "Left-Fundus" "left fundus"). */
function loose(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/**
 * The index of a column: exact name first, then a loose match (real label files differ in case and
 * stray spaces). Missing: a UserError naming the file, the config key and the columns there are.
 */
export function findColumn(table: CsvTable, name: string, key: string): number {
  const found = findColumnIfAny(table, name);
  if (found !== undefined) return found;
  throw new UserError(`${table.file}: no column "${name}" (${key}); its columns are: ${table.header.join(', ')}`);
}

/** findColumn without the error: undefined when there is no (unambiguous) match. */
export function findColumnIfAny(table: CsvTable, name: string): number | undefined {
  const exact = table.header.indexOf(name.trim());
  if (exact >= 0) return exact;
  const matches = table.header.map((h, i) => [loose(h), i] as const).filter(([h]) => h === loose(name));
  return matches.length === 1 ? matches[0][1] : undefined;
}
