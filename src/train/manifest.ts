import * as fs from 'fs';
import { UserError } from '../util/errors';
import { writeJsonAtomic } from '../util/fs';
import { RUN_FILES, runPaths } from './run-dir';

/** manifest.json: what produced a run (versions, seed, data and split hashes, times). */
export interface Manifest {
  package: string;
  tfjs: string;
  backend: string;
  tfBackend: string;
  /** on wasm: whether the native matrix products used fused multiply-adds (relaxed SIMD; FUNDUS_WASM_FMA) */
  wasm?: { fma: boolean };
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
  writeJsonAtomic(runPaths(outDir).manifest, manifest);
}

export function readManifest(outDir: string): Manifest {
  const file = runPaths(outDir).manifest;
  if (!fs.existsSync(file)) throw new UserError(`${outDir} has no ${RUN_FILES.manifest}: it was not written by fundus-train train`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (e) {
    throw new UserError(`${file} is not JSON (${(e as Error).message}): restore it or start a new run with another --out`);
  }
}
