import * as fs from 'fs';
import * as path from 'path';

/** Writes a file so that a reader (or a killed run) sees either the old or the new content, never a torn one. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Replaces directory `dir` with the result of `fill(tmpDir)`: the new directory is
 * written beside it, then renamed into place, so `dir` is always complete.
 */
export function replaceDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  fill(tmp);
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Finishes or undoes a replaceDirAtomic that a killed process left half done: if `dir` is
 * missing but its previous version was moved aside, that version is put back; leftover
 * temporary folders are removed. Returns true if `dir` exists afterwards.
 */
export function recoverReplacedDir(dir: string): boolean {
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return false;
  const base = path.basename(dir);
  const leftovers = fs.readdirSync(parent).filter((n) => n.startsWith(`${base}.tmp-`) || n.startsWith(`${base}.old-`));
  if (!fs.existsSync(dir)) {
    const old = leftovers.filter((n) => n.startsWith(`${base}.old-`)).sort((a, b) => fs.statSync(path.join(parent, b)).mtimeMs - fs.statSync(path.join(parent, a)).mtimeMs)[0];
    if (old) fs.renameSync(path.join(parent, old), dir);
  }
  for (const n of leftovers) fs.rmSync(path.join(parent, n), { recursive: true, force: true });
  return fs.existsSync(dir);
}
