import * as path from 'path';
import * as XLSX from '@e965/xlsx';
import { UserError } from '../../util/errors';
import { assertFile, readCsvRows, TableRows } from './csv-table';

/** Label file types the dataset sources read. */
export const LABEL_FILE_EXTENSIONS = new Set(['.csv', '.xlsx', '.xls']);

function cellText(cell: XLSX.CellObject | undefined): string {
  if (!cell || cell.v === undefined || cell.v === null) return '';
  if (cell.v instanceof Date) return cell.v.toISOString();
  return String(cell.v).trim();
}

/**
 * The first sheet of an .xlsx or .xls workbook as text rows; `line` is the spreadsheet's row number
 * (1 = the first row), so messages point where a user looks. Empty rows are left out.
 */
export function readSheetRows(file: string, key: string): TableRows {
  assertFile(file, key);
  let book: XLSX.WorkBook;
  try {
    book = XLSX.readFile(file, { cellDates: true, dense: false });
  } catch (e) {
    throw new UserError(`cannot read spreadsheet ${file}: ${e instanceof Error ? e.message.replace(/\s+/g, ' ') : String(e)}`);
  }
  const sheet = book.Sheets[book.SheetNames[0]];
  const rows: TableRows['rows'] = [];
  if (!sheet || !sheet['!ref']) return { file, rows };
  const range = XLSX.utils.decode_range(sheet['!ref']);
  for (let r = range.s.r; r <= range.e.r; r++) {
    const values: string[] = [];
    for (let c = range.s.c; c <= range.e.c; c++) values.push(cellText(sheet[XLSX.utils.encode_cell({ r, c })]));
    while (values.length > 0 && values[values.length - 1] === '') values.pop();
    if (values.length > 0) rows.push({ values, line: r + 1 });
  }
  return { file, rows };
}

/** Rows of a .csv, .xlsx or .xls label file. */
export function readLabelRows(file: string, key: string): TableRows {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.xlsx' || ext === '.xls') return readSheetRows(file, key);
  return readCsvRows(file, key);
}
