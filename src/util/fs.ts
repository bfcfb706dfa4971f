import * as fs from 'fs';
import * as path from 'path';
import { UserError } from './errors';

/** What a file-system error code means for the user, in words. */
const FS_REASONS: Record<string, string> = {
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it already exists',
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted there',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  EBUSY: 'it is busy',
};

/** A Node file-system error (it carries a code such as ENOSPC, and the syscall that failed). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Why a file-system call failed, in words, with the code: "permission denied (EACCES)". */
export function fsReason(e: NodeJS.ErrnoException): string {
  return (e.code && Object.hasOwn(FS_REASONS, e.code) ? FS_REASONS[e.code] : e.message.split('\n')[0]) + (e.code ? ` (${e.code})` : '');
}

/** One line for a file-system error: what was done to which path, and why it failed. */
export function describeFsError(e: NodeJS.ErrnoException): string {
  const reason = fsReason(e);
  const what =
    e.syscall === 'mkdir'
      ? 'cannot create folder'
      : e.syscall === 'open' || e.syscall === 'read'
        ? 'cannot open'
        : e.syscall === 'write'
          ? 'cannot write'
          : `cannot ${e.syscall}`;
  const dest = (e as { dest?: string }).dest;
  const target = dest ? `${e.path} -> ${dest}` : (e.path ?? '');
  return `${what} ${target}: ${reason}`.replace(/\s+:/, ':');
}

/**
 * Creates `dir` and its missing parents, one level at a time. Node's recursive mkdir spins
 * forever on procfs (mkdir there answers EEXIST for a missing folder); here every failure is a
 * UserError naming the path.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot create folder ${dir}: ${fsReason(e as NodeJS.ErrnoException)}`);
    }
    if (stat) {
      if (!stat.isDirectory()) throw new UserError(`cannot create folder ${dir}: ${p} is a file, not a folder`);
      break;
    }
    missing.push(p);
    if (path.dirname(p) === p) break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      const err = e as NodeJS.ErrnoException;
      // mkdir answering ENOENT under an existing parent: a file system that takes no new folders (procfs).
      const reason = err.code === 'ENOENT' ? `the file system does not take new folders there (${err.code})` : fsReason(err);
      throw new UserError(`cannot create folder ${dir}: ${d === path.resolve(dir) ? '' : `${d}: `}${reason}`);
    }
  }
}

/** Writes a file so that a reader (or a killed run) sees either the old or the new content, never a torn one. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  makeDirs(path.dirname(file));
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
  makeDirs(parent);
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
    const old = leftovers
      .filter((n) => n.startsWith(`${base}.old-`))
      .sort((a, b) => fs.statSync(path.join(parent, b)).mtimeMs - fs.statSync(path.join(parent, a)).mtimeMs)[0];
    if (old) fs.renameSync(path.join(parent, old), dir);
  }
  for (const n of leftovers) fs.rmSync(path.join(parent, n), { recursive: true, force: true });
  return fs.existsSync(dir);
}
