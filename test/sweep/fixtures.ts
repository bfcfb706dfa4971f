import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';

/** The tiny EfficientNet of the tests: one stage, 32 px. */
export const TINY_MODEL = {
  name: 'test_efficientnet',
  imageSize: 32,
  args: { headChannels: 32, stages: [{ block: 'ir', repeats: 1, kernel: 3, stride: 2, expand: 2, channels: 16, seRatio: 0.25 }] },
};

/** A base config on synthetic DR images that trains in a second or two. */
export function tinyBase(extra: { epochs?: number; count?: number; bootstrap?: number } = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seed: 11,
    backend: 'wasm',
    data: { source: 'synthetic', task: 'dr', count: extra.count ?? 24, renderSize: 32, split: { val: 0.25, test: 0.25 } },
    model: TINY_MODEL,
    train: { epochs: extra.epochs ?? 1, batchSize: 8, optimizer: { lr: 0.01 } },
    eval: { bootstrap: extra.bootstrap ?? 0 },
  };
}

/** Writes base.yaml and study.yaml into dir; returns the study file. */
export function writeStudy(dir: string, study: Record<string, unknown>, base: Record<string, unknown> = tinyBase()): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'base.yaml'), YAML.stringify(base));
  const file = path.join(dir, 'study.yaml');
  fs.writeFileSync(file, YAML.stringify({ base: 'base.yaml', ...study }));
  return file;
}

/** The built CLI the executors start: spawning tests skip without it. */
export const BUILT_BIN = path.resolve(__dirname, '..', '..', 'dist', 'bin', 'fundus-train.js');
export const HAVE_BUILD = fs.existsSync(BUILT_BIN);

export function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(require('os').tmpdir(), `fundus-sweep-${name}-`));
}
