import { ReduceLROnPlateau, ReduceLROnPlateauOptions, ReduceLROnPlateauState } from '../reduce-lr-on-plateau';
import { LrSchedule, ScheduleState } from './schedule';

/** ReduceLROnPlateau behind the schedule interface: the rate changes only at epoch ends, from the monitored metric. */
export class PlateauSchedule implements LrSchedule {
  readonly name = 'plateau';
  readonly perStep = false;
  private readonly plateau: ReduceLROnPlateau;
  private lr: number;

  constructor(
    private readonly initialLr: number,
    options: Partial<ReduceLROnPlateauOptions>,
    private readonly monitor = 'the monitored metric',
  ) {
    this.plateau = new ReduceLROnPlateau(options);
    this.lr = initialLr;
  }

  lrAt(): number {
    return this.lr;
  }

  epochEnd(metric: number | undefined): string | undefined {
    if (metric === undefined || !Number.isFinite(metric)) return undefined;
    const next = this.plateau.step(metric, this.lr);
    if (next === this.lr) return undefined;
    const note = `ReduceLROnPlateau: ${this.monitor} has not improved for ${this.plateau.options.patience + 1} epochs; lr ${this.lr} -> ${next}`;
    this.lr = next;
    return note;
  }

  getState(): ScheduleState {
    return { lr: this.lr, plateau: this.plateau.getState() };
  }

  /** Also reads the bare ReduceLROnPlateau counters that checkpoints held before schedules had their own state (rate then from `lr`). */
  setState(state: ScheduleState, lr?: number): void {
    if (!('plateau' in state)) {
      this.plateau.setState(state as unknown as ReduceLROnPlateauState);
      if (lr !== undefined) this.lr = lr;
      return;
    }
    this.lr = state.lr as number;
    this.plateau.setState(state.plateau as ReduceLROnPlateauState);
  }

  reset(): void {
    this.lr = this.initialLr;
    this.plateau.setState(new ReduceLROnPlateau(this.plateau.options).getState());
  }
}

/** No schedule: the optimizer's rate throughout. */
export class ConstantSchedule implements LrSchedule {
  readonly name = 'none';
  readonly perStep = false;
  constructor(private readonly lr: number) {}
  lrAt(): number {
    return this.lr;
  }
  epochEnd(): undefined {
    return undefined;
  }
  getState(): ScheduleState {
    return {};
  }
  setState(): void {}
  reset(): void {}
}
