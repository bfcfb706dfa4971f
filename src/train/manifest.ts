import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../util/fs';

/** manifest.json: what produced a run (versions, seed, data and split hashes, times). */
export interface Manifest {
  package: string;
  tfjs: string;
  backend: string;
  tfBackend: string;
  seed: number;
  model: { name: string; params: number; config: Record<string, unknown> };
  dataset: { source: string; task: string; classes: string[]; images: number; hash: string };
  splits: { train: number; val: number; test: number; hash: string };
  loss: string;
  started: string;
  finished: string | null;
  resumes: { at: string; fromEpoch: number }[];
  warnings: string[];
  /** Images left out as unreadable under data.skipBadImages. */
  skippedImages?: string[];
}

export function writeManifest(outDir: string, manifest: Manifest): void {
  writeJsonAtomic(path.join(outDir, 'manifest.json'), manifest);
}

export function readManifest(outDir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(outDir, 'manifest.json'), 'utf8')) as Manifest;
}
