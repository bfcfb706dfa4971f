#!/usr/bin/env node
// The webgpu suites, each in a jest process of its own, after the rest of `npm test`.
// Dawn's software adapter (SwiftShader) has once aborted a jest worker (SIGABRT) when another heavy
// suite ran beside it; a crashed suite is run once more, and the crash is said, not hidden.
// With FUNDUS_WEBGPU_FULL_PARITY=1 (CI) the parity suite runs once per timm fixture, each in a process
// of its own (FUNDUS_WEBGPU_FIXTURE names it), so that one fixture's crash or retry costs only its own
// minutes; every run's wall time is printed.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const dir = path.join(root, 'test', 'backend', 'webgpu');
const fixturesDir = path.join(root, '..', 'shared', 'fixtures', 'timm');
const PARITY = 'parity.test.ts';

const suites = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort();
const fixtures =
  process.env.FUNDUS_WEBGPU_FULL_PARITY === '1' && fs.existsSync(fixturesDir)
    ? fs
        .readdirSync(fixturesDir)
        .filter((f) => f.endsWith('.io.safetensors'))
        .map((f) => f.replace(/\.io\.safetensors$/, ''))
        .sort()
    : [];

/** One jest process per suite, and per fixture for the parity suite when every fixture runs. */
const runs = suites.flatMap((suite) => {
  const file = path.join('test', 'backend', 'webgpu', suite);
  if (suite !== PARITY || fixtures.length === 0) return [{ file, label: file, env: {} }];
  return fixtures.map((fixture) => ({ file, label: `${file} (${fixture})`, env: { FUNDUS_WEBGPU_FIXTURE: fixture } }));
});

const jest = require.resolve('jest/bin/jest');
const crashed = (r) => r.signal !== null || /terminated by another process|signal=SIG/.test(`${r.stdout}${r.stderr}`);

let failed = 0;
const times = [];
for (const { file, label, env } of runs) {
  const started = Date.now();
  const run = () =>
    spawnSync(process.execPath, [jest, file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...env },
    });
  let r = run();
  if (crashed(r)) {
    process.stdout.write(`${label}: the process crashed (${r.signal ?? 'a worker was killed'}); running it once more\n`);
    r = run();
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  const result = r.status === 0 ? 'passed' : 'FAILED';
  if (r.status !== 0) failed += 1;
  times.push(`${label}: ${result}, ${seconds.toFixed(1)} s`);
  process.stdout.write(`${label}: ${result} in ${seconds.toFixed(1)} s\n`);
}
process.stdout.write(`webgpu suites (wall time of each jest process):\n${times.map((t) => `  ${t}`).join('\n')}\n`);
process.exit(failed === 0 ? 0 : 1);
