import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadStudy } from '../../src/sweep/study-schema';
import { expandStudy, writePlan } from '../../src/sweep/plan';
import { runLocal, threadsPerRun } from '../../src/sweep/executors/local';
import { runFiles, runState } from '../../src/sweep/run-files';
import { HAVE_BUILD, tinyBase, tmpDir, writeStudy } from './fixtures';

const maybe = HAVE_BUILD ? describe : describe.skip;
if (!HAVE_BUILD) console.log('skipping the local executor tests: dist/bin/fundus-train.js is absent (npm run build)');

describe('threads per run', () => {
  it('keeps parallel x threads within the cores', () => {
    expect(threadsPerRun(1, 2)).toBe(2);
    expect(threadsPerRun(2, 2)).toBe(1);
    expect(threadsPerRun(3, 8)).toBe(2);
    expect(() => threadsPerRun(3, 2)).toThrow('--parallel 3 is more than this machine');
  });
});

maybe('local executor', () => {
  it('runs at most N children at once, skips finished runs and resumes an interrupted one', async () => {
    const dir = tmpDir('local');
    const file = writeStudy(dir, { folds: 3 }, tinyBase({ epochs: 2 }));
    const { plan, configs } = expandStudy(loadStudy(file), path.join(dir, 'study'));
    writePlan(plan, configs);
    const lines: string[] = [];
    let killed: string | null = null;
    const started = new Map<number, ChildProcess>();
    const alive = new Map<number, [number, number]>();
    const first = await runLocal(plan, {
      parallel: 2,
      cores: 2,
      write: (l) => lines.push(l),
      onEvent: (e) => {
        // kill the second run once its first checkpoint is complete: an interrupted run
        if (e.type === 'epoch' && e.row.index === 1 && !killed && e.line.startsWith('epoch 1/2')) {
          const last = runFiles.lastCheckpoint(e.row.runDir);
          const wait = setInterval(() => {
            if (fs.existsSync(path.join(last, 'trainer.json'))) {
              clearInterval(wait);
              killed = e.row.name;
              started.get(e.row.index)?.kill('SIGKILL');
            }
          }, 20);
        }
        if (e.type === 'start') {
          started.set(e.row.index, e.child);
          alive.set(e.row.index, [Date.now(), Infinity]);
        }
        if (e.type === 'exit') alive.get(e.row.index)![1] = Date.now();
      },
    });
    expect(first.maxRunning).toBe(2);
    expect(first.threads).toBe(1);
    // the children's lifetimes agree: never more than two alive at the same time
    const spans = [...alive.values()];
    expect(spans).toHaveLength(3);
    for (const [s0] of spans) expect(spans.filter(([a, b]) => a <= s0 && s0 < b).length).toBeLessThanOrEqual(2);
    expect(killed).toBe(plan.rows[1].name);
    expect(first.outcomes.map((o) => o.status)).toEqual(['ok', 'failed', 'ok']);
    expect(lines.some((l) => l.includes(`${plan.rows[1].name}: FAILED (killed by SIGKILL`))).toBe(true);
    expect(runState(plan.rows[1].runDir)).toBe('interrupted');
    expect(lines[lines.length - 1]).toMatch(/^3 runs: 2 done, 0 skipped, 1 failed in [\d.]+ s \(2 at a time, 1 thread each\)$/);

    const doneBefore = plan.rows.map((r) => (runState(r.runDir) === 'complete' ? fs.readFileSync(runFiles.metrics(r.runDir), 'utf8') : null));
    const again: string[] = [];
    const second = await runLocal(plan, { parallel: 2, cores: 2, write: (l) => again.push(l) });
    expect(second.outcomes.map((o) => o.status)).toEqual(['skipped', 'ok', 'skipped']);
    expect(again).toContain(`[1/3] ${plan.rows[0].name}: already done, skipped`);
    expect(again).toContain(`[2/3] ${plan.rows[1].name}: resuming (1 thread)`);
    // finished runs were not touched; the killed one resumed from its checkpoint and finished
    for (const [i, before] of doneBefore.entries()) if (before) expect(fs.readFileSync(runFiles.metrics(plan.rows[i].runDir), 'utf8')).toBe(before);
    const manifest = JSON.parse(fs.readFileSync(runFiles.manifest(plan.rows[1].runDir), 'utf8')) as { resumes: unknown[]; finished: string };
    expect(manifest.resumes).toHaveLength(1);
    expect(runState(plan.rows[1].runDir)).toBe('complete');
    expect(fs.existsSync(runFiles.outOfFoldPredictions(plan.rows[1].runDir))).toBe(true);
    const epochs = fs.readFileSync(runFiles.epochs(plan.rows[1].runDir), 'utf8').trim().split('\n');
    expect(epochs.map((l) => (JSON.parse(l) as { epoch: number }).epoch)).toEqual([1, 2]);
  }, 300_000);
});
