import * as fs from 'fs';
import * as path from 'path';

let cached: string | null = null;

/** This package's version, from the nearest package.json named fundus-train (works from src/ and dist/). */
export function packageVersion(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (pkg.name === 'fundus-train') return (cached = String(pkg.version));
    }
    dir = path.dirname(dir);
  }
  return (cached = 'unknown');
}
