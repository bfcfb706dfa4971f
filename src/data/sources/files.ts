import * as fs from 'fs';
import * as path from 'path';
import { Split } from '../types';

/** Names in a folder in a fixed order (code-unit order, not locale order, so every machine agrees). */
export function sortedEntries(dir: string): fs.Dirent[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface ListImagesOptions {
  /** Extensions (lower case, with the dot) that count as images. */
  extensions: ReadonlySet<string>;
  /** Counts the non-image files passed over. */
  skipped?: { count: number };
  /** Folders (by name) not to enter. */
  skipDir?: (name: string) => boolean;
}

/** Image files under `dir` (recursively), in a fixed order. */
export function listImages(dir: string, opts: ListImagesOptions): string[] {
  const out: string[] = [];
  for (const e of sortedEntries(dir)) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!opts.skipDir?.(e.name)) out.push(...listImages(full, opts));
    } else if (opts.extensions.has(path.extname(e.name).toLowerCase())) out.push(full);
    else if (opts.skipped) opts.skipped.count++;
  }
  return out;
}

/** Files under `dir` (recursively, at most `depth` folders down) whose extension is listed. */
export function listFiles(dir: string, extensions: ReadonlySet<string>, depth: number): string[] {
  const out: string[] = [];
  for (const e of sortedEntries(dir)) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (depth > 0) out.push(...listFiles(full, extensions, depth - 1));
    } else if (extensions.has(path.extname(e.name).toLowerCase())) out.push(full);
  }
  return out;
}

/** A file's name without folder and extension, lower case: how label files name images ("10_left", "IDRiD_001"). */
export function stemKey(name: string): string {
  const base = path.basename(name.trim());
  const ext = path.extname(base);
  return (/^\.[A-Za-z]{2,5}$/.test(ext) ? base.slice(0, -ext.length) : base).toLowerCase();
}

/**
 * Image files by stemKey. A stem found twice (10_left.jpeg and 10_left.png) keeps the first in sorted
 * order; the others are returned as `clashes` for the caller to report.
 */
export function indexByStem(files: string[]): { index: Map<string, string>; clashes: string[] } {
  const index = new Map<string, string>();
  const clashes: string[] = [];
  for (const f of files) {
    const k = stemKey(f);
    if (index.has(k)) clashes.push(f);
    else index.set(k, f);
  }
  return { index, clashes };
}

/** A folder name's letters and digits, lower case ("REFUGE-Validation400" -> "refugevalidation400"). */
export function looseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/** The split a folder (or file) name announces: training/train, validation/valid/val, testing/test. */
export function splitFromName(name: string): Split | undefined {
  const n = looseName(name);
  if (/train/.test(n)) return 'train';
  if (/valid|^val|val$|val\d/.test(n)) return 'val';
  if (/test/.test(n)) return 'test';
  return undefined;
}

/** The split of the nearest folder between `root` and `file` whose name announces one. */
export function splitFromPath(root: string, file: string): Split | undefined {
  const parts = path.relative(root, path.dirname(file)).split(path.sep).filter(Boolean);
  for (let i = parts.length - 1; i >= 0; i--) {
    const s = splitFromName(parts[i]);
    if (s) return s;
  }
  return undefined;
}

/** Patient id from a file name by the first capture group of `pattern` (case-insensitive), or undefined. */
export function groupFromName(name: string, pattern: RegExp | null): string | undefined {
  if (!pattern) return undefined;
  const m = pattern.exec(stemKey(name));
  return m && m[1] ? m[1] : undefined;
}

export function compileGroupPattern(pattern: string | null): RegExp | null {
  return pattern === null ? null : new RegExp(pattern, 'i');
}

/** A sample id: the file's path relative to the dataset root, with forward slashes. */
export function relativeId(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
