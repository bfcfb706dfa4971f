import * as fs from 'fs';
import * as path from 'path';
import { sortedEntries } from '../data/sources/files';

/** Whether a command-line argument is a glob pattern (the shell did not expand it, e.g. it was quoted). */
export function isGlob(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/**
 * One path segment's pattern as a regular expression: `*` any run of characters but `/`, `?` one
 * character, `[abc]` / `[!abc]` a class; everything else literal.
 */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = segment.slice(i + 1, close);
        const negate = body.startsWith('!') || body.startsWith('^');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
        i = close;
      }
    } else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Files matching a glob pattern, in sorted order. Supports `*`, `?`, `[...]` within a segment and
 * `**` for any number of folders. Hidden entries are matched only by a pattern that names them.
 */
export function expandGlob(pattern: string, cwd = process.cwd()): string[] {
  const abs = path.resolve(cwd, pattern);
  const root = path.parse(abs).root;
  const segments = abs.slice(root.length).split(path.sep).filter(Boolean);
  // The literal folders before the first pattern segment are the starting point.
  let start = 0;
  while (start < segments.length && !isGlob(segments[start])) start++;
  const base = path.join(root, ...segments.slice(0, start));
  const out: string[] = [];
  walk(base, segments.slice(start), out);
  return out;
}

function walk(dir: string, rest: string[], out: string[]): void {
  if (rest.length === 0) {
    if (fs.existsSync(dir) && fs.statSync(dir).isFile()) out.push(dir);
    return;
  }
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return;
  const [head, ...tail] = rest;
  if (head === '**') {
    // Zero folders, then one more folder deep with the same pattern.
    walk(dir, tail, out);
    for (const e of sortedEntries(dir)) if (e.isDirectory()) walk(path.join(dir, e.name), rest, out);
    return;
  }
  if (!isGlob(head)) {
    walk(path.join(dir, head), tail, out);
    return;
  }
  const re = segmentRegExp(head);
  const entries = head.startsWith('.') ? fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)) : sortedEntries(dir);
  for (const e of entries) if (re.test(e.name)) walk(path.join(dir, e.name), tail, out);
}
