import type { SchedulerConfig } from '../../config/schema';
import { CosineSchedule } from './cosine';
import { OneCycleSchedule } from './onecycle';
import { ConstantSchedule, PlateauSchedule } from './plateau';
import { LrSchedule } from './schedule';
import { StepSchedule } from './step';

export type { LrSchedule, SchedulePosition, ScheduleState } from './schedule';
export { CosineSchedule } from './cosine';
export { StepSchedule } from './step';
export { OneCycleSchedule } from './onecycle';
export { PlateauSchedule, ConstantSchedule } from './plateau';

export interface ScheduleContext {
  /** The optimizer's (resolved) learning rate: the peak of cosine and step, onecycle's default peak. */
  lr: number;
  /** Epochs the schedule spans (the phase's, for LP-FT's fine-tuning). */
  epochs: number;
  /** Optimizer updates per epoch. */
  stepsPerEpoch: number;
}

/**
 * The schedule a config names, with lengths in its unit: per step, timm's factory multiplies epoch
 * counts by the updates per epoch (t_initial = epochs · updates, warmup_t = warmup_epochs · updates).
 */
export function createSchedule(cfg: SchedulerConfig, ctx: ScheduleContext): LrSchedule {
  switch (cfg.name) {
    case 'cosine': {
      const perStep = cfg.update === 'step';
      const scale = perStep ? ctx.stepsPerEpoch : 1;
      return new CosineSchedule({
        lr: ctx.lr,
        tInitial: (cfg.cycleEpochs ?? ctx.epochs) * scale,
        minLr: cfg.minLr,
        warmupT: cfg.warmupSteps ?? cfg.warmupEpochs * scale,
        warmupLr: cfg.warmupLr,
        warmupPrefix: cfg.warmupPrefix,
        cycleLimit: cfg.cycleLimit,
        cycleMul: cfg.cycleMul,
        cycleDecay: cfg.cycleDecay,
        perStep,
      });
    }
    case 'step': {
      const perStep = cfg.update === 'step';
      return new StepSchedule({ lr: ctx.lr, gamma: cfg.gamma, stepSize: cfg.stepSize, milestones: cfg.milestones, perStep });
    }
    case 'onecycle':
      return new OneCycleSchedule({
        maxLr: cfg.maxLr ?? ctx.lr,
        totalSteps: ctx.epochs * ctx.stepsPerEpoch,
        pctStart: cfg.pctStart,
        anneal: cfg.anneal,
        divFactor: cfg.divFactor,
        finalDivFactor: cfg.finalDivFactor,
        threePhase: cfg.threePhase,
      });
    case 'plateau':
      return new PlateauSchedule(ctx.lr, cfg, cfg.monitor);
    case 'none':
      return new ConstantSchedule(ctx.lr);
  }
}

/** RETFound's (and MAE's) rule: the actual rate is baseLr × batch size / 256. */
export function scaledLr(baseLr: number, batchSize: number): number {
  return (baseLr * batchSize) / 256;
}
