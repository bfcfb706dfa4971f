import * as fs from 'fs';
import { UserError } from '../../util/errors';

/**
 * The epoch records of a run's metrics.jsonl, one JSON object a line, for the training
 * curves. A line that is not a JSON object is a UserError naming the file and line.
 */
export function readEpochRecords(file: string): Record<string, unknown>[] {
  if (!fs.existsSync(file)) throw new UserError(`${file} does not exist: the run has no epoch records`);
  const records: Record<string, unknown>[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new UserError(`${file} line ${i + 1} is not JSON (${(e as Error).message})`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { epoch?: unknown }).epoch !== 'number') {
        throw new UserError(`${file} line ${i + 1} is not an epoch record (an object with a numeric "epoch")`);
      }
      records.push(value as Record<string, unknown>);
    });
  return records;
}
