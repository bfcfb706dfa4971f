import { SchedulePosition, StatelessSchedule } from './schedule';

export interface OneCycleOptions {
  /** Peak learning rate (torch max_lr). */
  maxLr: number;
  /** Optimizer updates in the whole run (epochs × steps per epoch). */
  totalSteps: number;
  /** Fraction of the run spent rising to the peak. */
  pctStart: number;
  anneal: 'cos' | 'linear';
  /** Initial rate = maxLr / divFactor. */
  divFactor: number;
  /** Final rate = initial rate / finalDivFactor. */
  finalDivFactor: number;
  /** Rise, fall back to the initial rate, then anneal to the final one (fast.ai's variant). */
  threePhase: boolean;
}

interface Phase {
  endStep: number;
  start: number;
  end: number;
}

/** torch.optim.lr_scheduler.OneCycleLR's learning rate (momentum cycling off), updated every optimizer step. */
export class OneCycleSchedule extends StatelessSchedule {
  readonly name = 'onecycle';
  readonly perStep = true;
  private readonly phases: Phase[];

  constructor(readonly options: OneCycleOptions) {
    super();
    const { maxLr, totalSteps, pctStart, divFactor, finalDivFactor } = options;
    if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`onecycle needs a positive number of steps, got ${totalSteps}`);
    const initial = maxLr / divFactor;
    const min = initial / finalDivFactor;
    this.phases = options.threePhase
      ? [
          { endStep: pctStart * totalSteps - 1, start: initial, end: maxLr },
          { endStep: 2 * pctStart * totalSteps - 2, start: maxLr, end: initial },
          { endStep: totalSteps - 1, start: initial, end: min },
        ]
      : [
          { endStep: pctStart * totalSteps - 1, start: initial, end: maxLr },
          { endStep: totalSteps - 1, start: maxLr, end: min },
        ];
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.options.anneal === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  lrAt(pos: SchedulePosition): number {
    // Past the last step (an extended run) the rate stays at the final one.
    const t = Math.min(pos.step, this.options.totalSteps - 1);
    let startStep = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const p = this.phases[i];
      if (t <= p.endStep || i === this.phases.length - 1) return this.anneal(p.start, p.end, (t - startStep) / (p.endStep - startStep));
      startStep = p.endStep;
    }
    throw new Error('unreachable');
  }
}
