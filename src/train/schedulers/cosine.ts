import { SchedulePosition, StatelessSchedule } from './schedule';

export interface CosineOptions {
  /** Peak learning rate (timm's base value). */
  lr: number;
  /** Length of the first cycle in the schedule's unit (epochs, or steps with perStep). */
  tInitial: number;
  /** Floor of the cosine (timm lr_min). */
  minLr: number;
  /** Warm-up length in the schedule's unit (timm warmup_t); 0 = none. */
  warmupT: number;
  /** Learning rate at t = 0 of the linear warm-up (timm warmup_lr_init). */
  warmupLr: number;
  /** Count the cosine from the end of the warm-up instead of from t = 0 (timm warmup_prefix). */
  warmupPrefix: boolean;
  /** Cycles before the rate stays at minLr (timm cycle_limit). */
  cycleLimit: number;
  /** Each cycle is this many times longer than the one before (timm cycle_mul). */
  cycleMul: number;
  /** Each cycle's peak is this fraction of the one before (timm cycle_decay). */
  cycleDecay: number;
  /** Update after every optimizer step (timm t_in_epochs=False) instead of once per epoch. */
  perStep: boolean;
}

/**
 * Linear warm-up then half-cycle cosine annealing with optional restarts: the learning rate of
 * timm's CosineLRScheduler at t (noise and k-decay off), t being the epoch or, per step, the update
 * index. The same floating-point expressions as timm, so the sequences agree to the last bits.
 */
export class CosineSchedule extends StatelessSchedule {
  readonly name = 'cosine';
  readonly perStep: boolean;
  private readonly warmupSlope: number;

  constructor(readonly options: CosineOptions) {
    super();
    if (!(options.tInitial > 0)) throw new Error(`cosine schedule needs a positive length, got ${options.tInitial}`);
    this.perStep = options.perStep;
    this.warmupSlope = options.warmupT > 0 ? (options.lr - options.warmupLr) / options.warmupT : 1;
  }

  lrAt(pos: SchedulePosition): number {
    return this.at(this.perStep ? pos.step : pos.epoch);
  }

  /** The rate at t in the schedule's own unit. */
  at(t: number): number {
    const o = this.options;
    if (t < o.warmupT) return o.warmupLr + t * this.warmupSlope;
    if (o.warmupPrefix) t -= o.warmupT;
    let i: number;
    let tI: number;
    let tCurr: number;
    if (o.cycleMul !== 1) {
      i = Math.floor(Math.log(1 - (t / o.tInitial) * (1 - o.cycleMul)) / Math.log(o.cycleMul));
      tI = o.cycleMul ** i * o.tInitial;
      tCurr = t - ((1 - o.cycleMul ** i) / (1 - o.cycleMul)) * o.tInitial;
    } else {
      i = Math.floor(t / o.tInitial);
      tI = o.tInitial;
      tCurr = t - o.tInitial * i;
    }
    if (i >= o.cycleLimit) return o.minLr;
    const lrMax = o.lr * o.cycleDecay ** i;
    return o.minLr + 0.5 * (lrMax - o.minLr) * (1 + Math.cos((Math.PI * tCurr) / tI));
  }
}
