#!/usr/bin/env node
/**
 * A longer run of the weight-reader fuzz suite (test/fuzz/readers.test.ts), which npm test
 * runs for 3000 cases:
 *   node scripts/fuzz-readers.js [--cases 50000] [--seed 1] [--timm] [--case-ms 1000 (3000 with --timm)]
 * --timm adds mutations of the timm fixtures in ../shared/fixtures/timm (megabytes each).
 * Prints the case count, time, longest case and peak memory growth; exits non-zero on a
 * case that ended in anything but a state dict or a one-line UserError.
 */
const { spawnSync } = require('child_process');
const path = require('path');

const args = process.argv.slice(2);
const value = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const env = {
  ...process.env,
  FUZZ_CASES: value('--cases', '50000'),
  FUZZ_SEED: value('--seed', '1'),
  // Whole loads of the multi-megabyte timm files take several hundred ms on a busy machine.
  FUZZ_CASE_MS: value('--case-ms', args.includes('--timm') ? '3000' : '1000'),
  FUZZ_TIMM: args.includes('--timm') ? '1' : '0',
};
const root = path.resolve(__dirname, '..');
const jest = path.join(root, 'node_modules', '.bin', 'jest');
const run = spawnSync(jest, ['test/fuzz/readers.test.ts', '-w', '1', '--silent=false'], { cwd: root, env, stdio: 'inherit' });
process.exit(run.status ?? 1);
