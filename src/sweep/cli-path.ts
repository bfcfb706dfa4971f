import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../util/errors';

/**
 * The built command line (dist/bin/fundus-train.js) of this package, which executors start for
 * each run: found from this file's place, whether it runs from src/ (tests) or dist/src/.
 */
export function fundusTrainBin(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fundus-train') {
      const bin = path.join(dir, 'dist', 'bin', 'fundus-train.js');
      if (!fs.existsSync(bin)) throw new UserError(`${bin} is missing: build the package first (npm run build)`);
      return bin;
    }
    dir = path.dirname(dir);
  }
  throw new Error(`internal: no fundus-train package.json above ${__dirname}`);
}
