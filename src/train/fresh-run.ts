import * as fs from 'fs';
import * as path from 'path';
import { checkpointDir } from './run-dir';

/** Undoes what a fresh run wrote, when it fails before its first checkpoint. */
export interface FreshRun {
  discard(): void;
}

/**
 * Notes what exists at `outDir` before a fresh run starts, so that a run failing before its first
 * checkpoint (a data error found after config.json and splits.csv were written) can take back what
 * it created: the run folder it made (and parents it made that are left empty), or the entries it
 * added to an existing folder. A run with checkpoints/last is resumable and is never touched; nor is
 * anything that was there before.
 */
export function trackFreshRun(outDir: string): FreshRun {
  const abs = path.resolve(outDir);
  // The folders makeDirs will create, outDir first.
  const created: string[] = [];
  for (let p = abs; !fs.existsSync(p) && path.dirname(p) !== p; p = path.dirname(p)) created.push(p);
  let before: Set<string> | null = null;
  if (created.length === 0) {
    try {
      before = new Set(fs.readdirSync(abs));
    } catch {
      // Not a readable folder: the run fails before writing anything there.
    }
  }
  return {
    discard() {
      try {
        if (fs.existsSync(checkpointDir(abs, 'last'))) return;
        if (created.length > 0) {
          fs.rmSync(abs, { recursive: true, force: true });
          // A parent it created may meanwhile hold another run (runs/ of two first runs): only empty ones go.
          for (const dir of created.slice(1)) fs.rmdirSync(dir);
        } else if (before)
          for (const name of fs.readdirSync(abs)) if (!before.has(name)) fs.rmSync(path.join(abs, name), { recursive: true, force: true });
      } catch {
        // Clean-up is best effort: the run's own error is what the user must see.
      }
    },
  };
}
