#!/usr/bin/env node
// The webgpu suites, each in a jest process of its own, after the rest of `npm test`.
// Dawn's software adapter (SwiftShader) has once aborted a jest worker (SIGABRT) when another heavy
// suite ran beside it; a crashed suite is run once more, and the crash is said, not hidden.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const dir = path.join(__dirname, '..', 'test', 'backend', 'webgpu');
const suites = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
const jest = require.resolve('jest/bin/jest');
const crashed = (r) => r.signal !== null || /terminated by another process|signal=SIG/.test(`${r.stdout}${r.stderr}`);

let failed = 0;
for (const suite of suites) {
  const file = path.join('test', 'backend', 'webgpu', suite);
  const run = () => spawnSync(process.execPath, [jest, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  let r = run();
  if (crashed(r)) {
    process.stdout.write(`${file}: the process crashed (${r.signal ?? 'a worker was killed'}); running it once more\n`);
    r = run();
  }
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
