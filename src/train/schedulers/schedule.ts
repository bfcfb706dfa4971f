/**
 * Where training stands when a learning rate is asked for: `epoch` is the 0-based epoch in
 * progress, `step` the 0-based index of the optimizer update about to run (updates done so far).
 */
export interface SchedulePosition {
  epoch: number;
  step: number;
}

/** Serialisable scheduler state (JSON), stored in checkpoints/last/trainer.json for exact resume. */
export type ScheduleState = Record<string, unknown>;

/**
 * One learning-rate schedule. Closed-form schedules (cosine, step, onecycle) are pure functions of
 * the position, so resuming needs only the position; plateau keeps its own state. The rate returned
 * is the base rate: the trainer multiplies in per-group scales (layer decay, LP-FT phase).
 */
export interface LrSchedule {
  readonly name: string;
  /** True when the rate can change between optimizer updates, false when only between epochs. */
  readonly perStep: boolean;
  /** The learning rate of the update at `pos`. */
  lrAt(pos: SchedulePosition): number;
  /** Called once at the end of each epoch with the monitored metric (only plateau uses it). */
  epochEnd(metric: number | undefined): string | undefined;
  getState(): ScheduleState;
  /** Restores getState()'s output; `lr` is the rate the run was at (for state written before a schedule had its own). */
  setState(state: ScheduleState, lr?: number): void;
  /** Back to the state before the first update (used when LP-FT starts its fine-tuning phase). */
  reset(): void;
}

/** Base class of the closed-form schedules: no state beyond the position. */
export abstract class StatelessSchedule implements LrSchedule {
  abstract readonly name: string;
  abstract readonly perStep: boolean;
  abstract lrAt(pos: SchedulePosition): number;
  epochEnd(): undefined {
    return undefined;
  }
  getState(): ScheduleState {
    return {};
  }
  setState(): void {}
  reset(): void {}
}
