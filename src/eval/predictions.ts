import * as fs from 'fs';
import { parse } from 'csv-parse/sync';
import type { Task } from '../data/types';
import { UserError } from '../util/errors';
import { writeFileAtomic } from '../util/fs';
import type { MetricsInput } from './compute-metrics';

/**
 * The predictions CSV (the format the README's "The run directory" documents), written by `eval` and read by `score`:
 *   binary / multiclass: image,label,p_<class>...      (label = class name)
 *   multi-label:         image,y_<label>...,p_<label>... (y = 0/1 truth)
 * Class names and order come from the p_ columns of the header. An optional `group`
 * column (patient id) lets the bootstrap resample patients; other columns are ignored.
 */
export interface PredictionsTable {
  task: Task;
  classes: string[];
  images: string[];
  /** Binary / multiclass: true class index per row. */
  labels?: number[];
  /** Multi-label: 0/1 truth per row and label. */
  targets?: number[][];
  probs: number[][];
  /** Patient (group) per row, when known. */
  groups?: string[];
}

/** How far a single-label row may sum from 1. */
export const PROBABILITY_SUM_TOLERANCE = 1e-3;

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Numbers are written in full (shortest round-trip form), so scoring the file gives the same metrics. */
export function formatPredictionsCsv(table: PredictionsTable): string {
  const { classes, images, probs } = table;
  const multilabel = table.task === 'multilabel';
  if (multilabel ? !table.targets : !table.labels) {
    throw new Error(`internal: a ${table.task} predictions table needs ${multilabel ? 'targets' : 'labels'}`);
  }
  const header = [
    'image',
    ...(multilabel ? classes.map((c) => `y_${c}`) : ['label']),
    ...classes.map((c) => `p_${c}`),
    ...(table.groups ? ['group'] : []),
  ];
  const lines = [header.map(csvField).join(',')];
  images.forEach((image, i) => {
    const truth = multilabel ? (table.targets as number[][])[i].map(String) : [classes[(table.labels as number[])[i]]];
    const fields = [image, ...truth, ...probs[i].map(String), ...(table.groups ? [table.groups[i]] : [])];
    lines.push(fields.map(csvField).join(','));
  });
  return lines.join('\n') + '\n';
}

export function writePredictionsCsv(file: string, table: PredictionsTable): void {
  writeFileAtomic(file, formatPredictionsCsv(table));
}

interface Row {
  fields: string[];
  line: number;
}

function parseRows(text: string, name: string): Row[] {
  try {
    const records = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
    return records.map((r) => ({ fields: r.record, line: r.info.lines }));
  } catch (e) {
    throw new UserError(`${name}: not a readable CSV file (${(e as Error).message})`);
  }
}

/** Parses and checks a predictions CSV; every problem is a one-line UserError naming the file and line. */
export function parsePredictionsCsv(text: string, name: string): PredictionsTable {
  const rows = parseRows(text, name);
  if (rows.length === 0)
    throw new UserError(`${name}: the file is empty; expected a header image,label,p_<class>... or image,y_<label>...,p_<label>...`);
  const header = rows[0].fields;
  const at = (line: number) => `${name} line ${line}`;

  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new UserError(`${at(1)}: column "${h}" appears twice in the header`);
    seen.add(h);
  }
  const imageCol = header.indexOf('image');
  if (imageCol < 0) throw new UserError(`${at(1)}: no "image" column in the header (${header.join(',')})`);
  const labelCol = header.indexOf('label');
  const groupCol = header.indexOf('group');
  const pCols = header.flatMap((h, i) => (h.startsWith('p_') ? [i] : []));
  const yCols = header.flatMap((h, i) => (h.startsWith('y_') ? [i] : []));
  const classes = pCols.map((i) => header[i].slice(2));
  if (classes.some((c) => c === '')) throw new UserError(`${at(1)}: a column is named "p_" with no class name`);

  if (labelCol >= 0 && yCols.length > 0) {
    throw new UserError(
      `${at(1)}: the header has both a "label" column and y_ columns; use label for one class per image, y_<label> columns for multi-label`,
    );
  }
  if (labelCol < 0 && yCols.length === 0) {
    throw new UserError(`${at(1)}: no "label" column and no y_<label> columns: the file holds no truth to score against`);
  }
  const multilabel = yCols.length > 0;
  if (multilabel) {
    for (const i of yCols) {
      const label = header[i].slice(2);
      if (!classes.includes(label)) throw new UserError(`${at(1)}: missing column p_${label} for the truth column y_${label}`);
    }
    for (const c of classes) {
      if (!header.includes(`y_${c}`)) throw new UserError(`${at(1)}: missing column y_${c} for the probability column p_${c}`);
    }
  } else if (classes.length < 2) {
    throw new UserError(
      `${at(1)}: missing p_<class> columns: found ${classes.length ? `only p_${classes[0]}` : 'none'}; a binary or multiclass file needs one probability column per class (at least 2)`,
    );
  }
  const yColOf = classes.map((c) => header.indexOf(`y_${c}`));

  const images: string[] = [];
  const labels: number[] = [];
  const targets: number[][] = [];
  const probs: number[][] = [];
  const groups: string[] = [];
  for (const { fields, line } of rows.slice(1)) {
    const image = fields[imageCol] ?? '';
    const where = `${at(line)}${image ? ` (image "${image}")` : ''}`;
    if (fields.length !== header.length) {
      throw new UserError(`${where}: ${fields.length} fields but the header has ${header.length} columns`);
    }
    if (image === '') throw new UserError(`${where}: the image column is empty`);
    const row = pCols.map((col, c) => {
      const raw = fields[col];
      const p = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(p)) throw new UserError(`${where}: p_${classes[c]} = "${raw}" is not a number`);
      if (p < 0 || p > 1) throw new UserError(`${where}: p_${classes[c]} = ${raw} is not a probability in [0, 1]`);
      return p;
    });
    if (multilabel) {
      targets.push(
        yColOf.map((col, c) => {
          const raw = fields[col];
          const y = raw === '' ? NaN : Number(raw);
          if (y !== 0 && y !== 1) throw new UserError(`${where}: y_${classes[c]} = "${raw}" is not 0 or 1`);
          return y;
        }),
      );
    } else {
      const name = fields[labelCol];
      const c = classes.indexOf(name);
      if (c < 0) {
        throw new UserError(
          `${where}: label "${name}" is not a class of this file (p_ columns: ${classes.join(', ')}); fix the label or add a p_${name || '<class>'} column`,
        );
      }
      labels.push(c);
      const sum = row.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
        throw new UserError(
          `${where}: the probabilities sum to ${sum}, not 1 (tolerance ${PROBABILITY_SUM_TOLERANCE}); one class per image needs softmax probabilities`,
        );
      }
    }
    images.push(image);
    probs.push(row);
    if (groupCol >= 0) groups.push(fields[groupCol]);
  }
  if (images.length === 0) throw new UserError(`${name}: the file has a header but no rows`);

  const task: Task = multilabel ? 'multilabel' : classes.length === 2 ? 'binary' : 'multiclass';
  const table: PredictionsTable = { task, classes, images, probs };
  if (multilabel) table.targets = targets;
  else table.labels = labels;
  if (groupCol >= 0) table.groups = groups;
  return table;
}

export function readPredictionsCsv(file: string): PredictionsTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read predictions file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parsePredictionsCsv(text, file);
}

/** The metrics input for a predictions table (options as computeMetrics takes them). */
export function predictionsToMetricsInput(
  table: PredictionsTable,
  options: { specificity?: number; ordinal?: { referableFrom: number }; thresholds?: number | number[]; curves?: boolean } = {},
): MetricsInput {
  if (table.task === 'multilabel') {
    return {
      task: 'multilabel',
      classes: table.classes,
      targets: table.targets as number[][],
      probs: table.probs,
      thresholds: options.thresholds,
      curves: options.curves,
    };
  }
  return {
    task: table.task,
    classes: table.classes,
    labels: table.labels as number[],
    probs: table.probs,
    specificity: options.specificity,
    ordinal: options.ordinal,
    curves: options.curves,
  };
}
