import { createHash } from 'crypto';
import * as fs from 'fs';

interface Known {
  size: number;
  mtimeMs: number;
  hash: string;
}

/** Hashes computed in this process, re-computed when a file's size or modification time changes. */
const known = new Map<string, Known>();

/**
 * SHA-256 of a file's bytes (hex). Identical content gives the same hash wherever the file lies, which
 * is what the disk cache keys and the duplicate check compare. Each file is read once per process: later
 * calls only stat it.
 */
export async function fileContentHash(file: string): Promise<string> {
  const st = await fs.promises.stat(file);
  const k = known.get(file);
  if (k && k.size === st.size && k.mtimeMs === st.mtimeMs) return k.hash;
  const hash = createHash('sha256')
    .update(await fs.promises.readFile(file))
    .digest('hex');
  known.set(file, { size: st.size, mtimeMs: st.mtimeMs, hash });
  return hash;
}
