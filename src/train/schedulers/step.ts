import { SchedulePosition, StatelessSchedule } from './schedule';

export interface StepOptions {
  lr: number;
  /** Multiplier at each milestone. */
  gamma: number;
  /** StepLR: every `stepSize` epochs (or steps). */
  stepSize?: number;
  /** MultiStepLR: at these epochs (or steps); a repeated milestone multiplies by gamma once per repeat. */
  milestones?: number[];
  perStep: boolean;
}

/**
 * torch's StepLR (stepSize) and MultiStepLR (milestones). torch multiplies the current rate at each
 * milestone; so does this, from the start, so the rates agree bit for bit with torch's chained form.
 */
export class StepSchedule extends StatelessSchedule {
  readonly name = 'step';
  readonly perStep: boolean;
  /** Distinct milestones ascending, with their multiplicity. */
  private readonly marks: Array<[number, number]>;

  constructor(readonly options: StepOptions) {
    super();
    this.perStep = options.perStep;
    const counts = new Map<number, number>();
    for (const m of options.milestones ?? []) counts.set(m, (counts.get(m) ?? 0) + 1);
    this.marks = [...counts.entries()].sort((a, b) => a[0] - b[0]);
    if (options.stepSize === undefined && options.milestones === undefined) throw new Error('step schedule needs stepSize or milestones');
    if (options.stepSize !== undefined && !(options.stepSize >= 1)) throw new Error(`stepSize must be >= 1, got ${options.stepSize}`);
  }

  lrAt(pos: SchedulePosition): number {
    const t = this.perStep ? pos.step : pos.epoch;
    const { gamma, stepSize } = this.options;
    let lr = this.options.lr;
    if (stepSize !== undefined) {
      for (let k = stepSize; k <= t; k += stepSize) lr = lr * gamma;
      return lr;
    }
    for (const [m, count] of this.marks) {
      if (m > t) break;
      lr = lr * gamma ** count;
    }
    return lr;
  }
}
