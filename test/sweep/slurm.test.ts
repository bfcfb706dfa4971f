import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli } from '../helpers/cli';
import { readPlan, Plan } from '../../src/sweep/plan';
import { readSubmissions } from '../../src/sweep/executors/slurm';
import { aggregateStudy, formatAggregateCsv } from '../../src/sweep/aggregate';
import { runFiles } from '../../src/sweep/run-files';
import { HAVE_BUILD, tinyBase, tmpDir, writeStudy } from './fixtures';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'slurm-local.sh');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`]).status === 0;
const sinfoUp = () => spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 10_000 }).stdout?.trim().length > 0;

/** Why the SLURM tests cannot run here, or null. */
function unavailable(): string | null {
  if (!HAVE_BUILD) return 'dist/bin/fundus-train.js is absent (npm run build)';
  if (process.getuid?.() !== 0) return 'not root (scripts/slurm-local.sh starts slurmctld and slurmd as root)';
  for (const b of ['sbatch', 'squeue', 'scancel', 'slurmctld', 'slurmd', 'munged'])
    if (!has(b)) return `${b} is not installed (apt-get install slurm-wlm munge)`;
  return null;
}

let skip = unavailable();
let startedHere = false;

beforeAll(() => {
  if (skip || sinfoUp()) return;
  const r = spawnSync(SCRIPT, ['start'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) skip = `scripts/slurm-local.sh start failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}`;
  else startedHere = true;
}, 130_000);

afterAll(() => {
  if (startedHere) spawnSync(SCRIPT, ['stop'], { timeout: 60_000 });
});

/** metrics.jsonl without what depends on the clock. */
function epochRecords(runDir: string): unknown[] {
  return fs
    .readFileSync(runFiles.epochs(runDir), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const { seconds: _s, images_per_s: _i, ...rest } = JSON.parse(l) as Record<string, unknown>;
      void _s;
      void _i;
      return rest;
    });
}

async function until(what: string, check: () => boolean, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('slurm executor against a local SLURM', () => {
  it('submits a job array, survives scancel of one task, resumes it, and equals the local executor bit for bit', async () => {
    if (skip) {
      console.log(`skipping the SLURM test: ${skip}`);
      return;
    }
    const dir = tmpDir('slurm');
    const file = writeStudy(dir, { folds: 2, seeds: [1, 2], slurm: { cpus: 1 } }, tinyBase({ epochs: 3 }));
    const slurmOut = path.join(dir, 'slurm-study');
    const submitted = await cli(['sweep', '--config', file, '--out', slurmOut, '--executor', 'slurm']);
    expect(submitted.err).toBe('');
    expect(submitted.code).toBe(0);
    expect(submitted.out).toMatch(/submitted SLURM job \d+: 4 task\(s\)/);
    const plan: Plan = readPlan(slurmOut);
    const [job] = readSubmissions(plan);
    expect(job.indices).toEqual([0, 1, 2, 3]);
    expect(
      fs.readFileSync(
        fs
          .readdirSync(path.join(slurmOut, 'slurm'))
          .map((f) => path.join(slurmOut, 'slurm', f))
          .find((f) => f.endsWith('.sh'))!,
        'utf8',
      ),
    ).toContain('#SBATCH --array=0-3');

    // kill task 0 once it has a checkpoint but has not finished
    const victim = plan.rows[0];
    await until('task 0 to checkpoint', () => fs.existsSync(path.join(runFiles.lastCheckpoint(victim.runDir), 'trainer.json')), 240);
    execFileSync('scancel', [`${job.jobId}_0`]);
    const waited = await cli(['sweep', '--out', slurmOut, '--executor', 'slurm', '--wait']);
    expect(waited.code).toBe(1);
    expect(waited.out).toContain(`[0] ${victim.name}: stopped; log ${path.join(slurmOut, 'logs', `slurm-${job.jobId}_0.log`)}`);
    expect(waited.out).toMatch(/4 runs: (3 done, 1 stopped|1 stopped, 3 done)/);
    const status = await cli(['sweep', '--out', slurmOut, '--status']);
    expect(status.out).toContain(`${victim.name}: stopped`);

    const resumed = await cli(['sweep', '--config', file, '--out', slurmOut, '--executor', 'slurm', '--resume', '--wait']);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/submitted SLURM job \d+: 1 task\(s\)/);
    expect(resumed.out).toContain('4 runs: 4 done');
    const manifest = JSON.parse(fs.readFileSync(runFiles.manifest(victim.runDir), 'utf8')) as { resumes: unknown[] };
    expect(manifest.resumes).toHaveLength(1);

    // the same study with the local executor (one thread per run, as the SLURM tasks had)
    const localOut = path.join(dir, 'local-study');
    const local = await cli(['sweep', '--config', file, '--out', localOut, '--parallel', '2']);
    expect(local.code).toBe(0);
    const localPlan = readPlan(localOut);
    for (const [i, row] of plan.rows.entries()) {
      const other = localPlan.rows[i].runDir;
      expect(epochRecords(row.runDir)).toEqual(epochRecords(other));
      const weights = (d: string) => fs.readFileSync(path.join(runFiles.lastCheckpoint(d), 'model.safetensors'));
      expect(weights(row.runDir).equals(weights(other))).toBe(true);
      expect(fs.readFileSync(runFiles.predictions(row.runDir), 'utf8')).toBe(fs.readFileSync(runFiles.predictions(other), 'utf8'));
      expect(fs.readFileSync(runFiles.outOfFoldPredictions(row.runDir), 'utf8')).toBe(fs.readFileSync(runFiles.outOfFoldPredictions(other), 'utf8'));
    }
    expect(formatAggregateCsv(aggregateStudy(slurmOut, { bootstrap: 100 }))).toBe(formatAggregateCsv(aggregateStudy(localOut, { bootstrap: 100 })));
  }, 900_000);
});
