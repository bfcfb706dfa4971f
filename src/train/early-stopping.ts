export interface EarlyStoppingOptions {
  mode: 'min' | 'max';
  patience: number;
  minDelta: number;
}

export interface EarlyStoppingState {
  best: number;
  wait: number;
}

/** Stops training when the monitored metric has not improved by minDelta for `patience` epochs (Keras semantics). */
export class EarlyStopping {
  private state: EarlyStoppingState;

  constructor(readonly options: EarlyStoppingOptions) {
    this.state = EarlyStopping.initial(options);
  }

  private static initial(options: EarlyStoppingOptions): EarlyStoppingState {
    return { best: options.mode === 'max' ? -Infinity : Infinity, wait: 0 };
  }

  /** Forgets every epoch seen so far (as if just built). */
  reset(): void {
    this.state = EarlyStopping.initial(this.options);
  }

  /** Feeds one epoch's value; true when training should stop. */
  update(value: number): boolean {
    const { mode, minDelta, patience } = this.options;
    const improved = mode === 'max' ? value - minDelta > this.state.best : value + minDelta < this.state.best;
    if (improved) {
      this.state.best = value;
      this.state.wait = 0;
      return false;
    }
    this.state.wait += 1;
    return this.state.wait >= patience;
  }

  getState(): EarlyStoppingState {
    return { ...this.state };
  }

  setState(state: EarlyStoppingState): void {
    this.state = { ...state };
  }
}
