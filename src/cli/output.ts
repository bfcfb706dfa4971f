import { isUserError } from '../util/errors';
import { describeFsError, isFsError } from '../util/fs';

/** Exit codes of the command line (README, "Commands"). */
export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USER = 2;

/**
 * Turns an error into what the user sees: one line, exit 2 for their mistakes, exit 1 for ours;
 * the stack only with --verbose.
 */
export function reportError(e: unknown, verbose: boolean): number {
  const err: Error = e instanceof Error ? e : new Error(String(e));
  // A file-system error (a folder given as a file, a full disk, a read-only mount) is the
  // user's to fix: one line naming the path, exit 2.
  if (isUserError(e) || isFsError(e)) {
    const message = isFsError(e) ? describeFsError(e) : err.message;
    process.stderr.write(`fundus-train: error: ${oneLine(message)}\n`);
    if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT_USER;
  }
  process.stderr.write(`fundus-train: internal error: ${oneLine(err.message)}${verbose ? '' : ' (run with --verbose for the stack trace)'}\n`);
  if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT_INTERNAL;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
