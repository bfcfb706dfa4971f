import * as fs from 'fs';
import * as path from 'path';
import { CosineSchedule, createSchedule, OneCycleSchedule, PlateauSchedule, scaledLr, StepSchedule } from '../../src/train/schedulers';
import { SchedulerConfig, schedulerConfigSchema } from '../../src/config/schema';

// Recorded by scripts/schedulers_reference.py (timm's CosineLRScheduler, torch's StepLR/MultiStepLR/OneCycleLR).
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, 'schedulers-reference.json'), 'utf8'));

/** [name, case] rows for test.each. */
const named = (xs: typeof ref.cases): Array<[string, typeof ref]> => xs.map((x: { name: string }) => [x.name, x]);

function maxAbsDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

const at = (perStep: boolean) => (t: number) => (perStep ? { epoch: 0, step: t } : { epoch: t, step: 0 });

describe('learning-rate schedules equal timm and torch to 1e-12', () => {
  test.each(named(ref.cosine))('cosine %s', (_name, c) => {
    const o = c.options;
    const s = new CosineSchedule({
      lr: c.lr,
      tInitial: o.t_initial,
      minLr: o.lr_min ?? 0,
      warmupT: o.warmup_t ?? 0,
      warmupLr: o.warmup_lr_init ?? 0,
      warmupPrefix: o.warmup_prefix ?? false,
      cycleLimit: o.cycle_limit ?? 1,
      cycleMul: o.cycle_mul ?? 1,
      cycleDecay: o.cycle_decay ?? 1,
      perStep: c.per_step,
    });
    const lrs = c.lrs.map((_: number, t: number) => s.lrAt(at(c.per_step)(t)));
    expect(maxAbsDiff(lrs, c.lrs)).toBeLessThanOrEqual(1e-12);
  });

  test.each(named(ref.step))('%s', (_name, c) => {
    const s = new StepSchedule({ lr: c.lr, perStep: false, ...c.options });
    const lrs = c.lrs.map((_: number, t: number) => s.lrAt({ epoch: t, step: 0 }));
    expect(maxAbsDiff(lrs, c.lrs)).toBeLessThanOrEqual(1e-12);
  });

  test.each(named(ref.onecycle))('onecycle %s', (_name, c) => {
    const o = c.options;
    const s = new OneCycleSchedule({
      maxLr: o.max_lr,
      totalSteps: o.total_steps,
      pctStart: o.pct_start,
      anneal: o.anneal_strategy,
      divFactor: o.div_factor ?? 25,
      finalDivFactor: o.final_div_factor ?? 1e4,
      threePhase: o.three_phase ?? false,
    });
    const lrs = c.lrs.map((_: number, t: number) => s.lrAt({ epoch: 0, step: t }));
    expect(maxAbsDiff(lrs, c.lrs)).toBeLessThanOrEqual(1e-12);
  });
});

describe('schedules from the config', () => {
  const parse = (scheduler: unknown) => schedulerConfigSchema.parse(scheduler) as SchedulerConfig;

  test('cosine per step converts epochs to updates as timm does (RETFound recipe)', () => {
    const c = ref.cosine.find((x: { name: string }) => x.name === 'retfound-per-step');
    const s = createSchedule(parse({ name: 'cosine', warmupEpochs: 10, minLr: 1e-6 }), { lr: c.lr, epochs: 50, stepsPerEpoch: 7 });
    expect(s.perStep).toBe(true);
    const lrs = c.lrs.map((_: number, t: number) => s.lrAt({ epoch: Math.floor(t / 7), step: t }));
    expect(maxAbsDiff(lrs, c.lrs)).toBeLessThanOrEqual(1e-12);
  });

  test('per-epoch cosine ignores the step', () => {
    const s = createSchedule(parse({ name: 'cosine', update: 'epoch', minLr: 0 }), { lr: 1, epochs: 4, stepsPerEpoch: 10 });
    expect(s.lrAt({ epoch: 2, step: 0 })).toBe(s.lrAt({ epoch: 2, step: 25 }));
    expect(s.lrAt({ epoch: 2, step: 0 })).toBeCloseTo(0.5, 12);
  });

  test('onecycle spans epochs × steps per epoch', () => {
    const s = createSchedule(parse({ name: 'onecycle' }), { lr: 0.01, epochs: 5, stepsPerEpoch: 4 });
    expect(s.lrAt({ epoch: 4, step: 19 })).toBeCloseTo(0.01 / 25 / 1e4, 15);
  });

  test('step needs exactly one of stepSize and milestones', () => {
    expect(() => parse({ name: 'step' })).toThrow(/exactly one/);
    expect(() => parse({ name: 'step', stepSize: 2, milestones: [3] })).toThrow(/exactly one/);
  });

  test('plateau keeps and restores its state exactly, and reset starts over', () => {
    const a = new PlateauSchedule(0.1, { mode: 'max', patience: 0, factor: 0.5 });
    a.epochEnd(0.5);
    expect(a.epochEnd(0.4)).toMatch(/lr 0.1 -> 0.05/);
    const b = new PlateauSchedule(0.1, { mode: 'max', patience: 0, factor: 0.5 });
    b.setState(JSON.parse(JSON.stringify(a.getState())));
    expect(b.epochEnd(0.3)).toBe(a.epochEnd(0.3));
    expect(b.lrAt()).toBe(0.025);
    b.reset();
    expect(b.lrAt()).toBe(0.1);
  });

  test('baseLr is scaled by batch/256', () => {
    expect(scaledLr(5e-4, 64)).toBe(1.25e-4);
  });
});
