import * as fs from 'fs';
import * as path from 'path';

/** ../shared beside the repository: real data and fixtures; absent in a user's fresh clone. */
export const SHARED_DIR = path.resolve(__dirname, '..', '..', '..', 'shared');
export const FIXTURES_DIR = path.join(SHARED_DIR, 'fixtures', 'timm');
export const DATA_DIR = path.join(SHARED_DIR, 'data');

/** `describe` when `dir` exists, else `describe.skip` with a line saying why. */
export function describeIfExists(dir: string): jest.Describe {
  if (fs.existsSync(dir)) return describe;

  console.log(`skipping tests that need ${dir}: it is absent (it sits beside the repository in CI)`);
  return describe.skip;
}
