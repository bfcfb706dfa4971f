export interface ReduceLROnPlateauOptions {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLr: number;
  eps: number;
}

export interface ReduceLROnPlateauState {
  best: number;
  numBadEpochs: number;
  cooldownCounter: number;
  lastEpoch: number;
}

export const PLATEAU_DEFAULTS: ReduceLROnPlateauOptions = {
  mode: 'min',
  factor: 0.1,
  patience: 10,
  threshold: 1e-4,
  thresholdMode: 'rel',
  cooldown: 0,
  minLr: 0,
  eps: 1e-8,
};

/**
 * Lowers the learning rate when a monitored metric stops improving, with exactly the semantics of
 * torch.optim.lr_scheduler.ReduceLROnPlateau (PyTorch 1.13, torch/optim/lr_scheduler.py): a reduction happens when the count
 * of bad epochs exceeds `patience`, and only if it changes the rate by more than `eps`.
 */
export class ReduceLROnPlateau {
  readonly options: ReduceLROnPlateauOptions;
  private state: ReduceLROnPlateauState;

  constructor(options: Partial<ReduceLROnPlateauOptions> = {}) {
    this.options = { ...PLATEAU_DEFAULTS, ...options };
    if (this.options.factor >= 1) throw new Error('ReduceLROnPlateau factor must be < 1');
    this.state = this.initial();
  }

  private initial(): ReduceLROnPlateauState {
    return { best: this.worst(), numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0 };
  }

  /** Forgets every epoch seen so far (as if just built): LP-FT's fine-tuning phase starts afresh. */
  reset(): void {
    this.state = this.initial();
  }

  private worst(): number {
    return this.options.mode === 'min' ? Infinity : -Infinity;
  }

  isBetter(a: number, best: number): boolean {
    const { mode, thresholdMode, threshold } = this.options;
    if (mode === 'min' && thresholdMode === 'rel') return a < best * (1 - threshold);
    if (mode === 'min') return a < best - threshold;
    if (thresholdMode === 'rel') return a > best * (1 + threshold);
    return a > best + threshold;
  }

  /** Feeds one epoch's metric; returns the learning rate to use next. */
  step(metric: number, lr: number): number {
    const s = this.state;
    s.lastEpoch += 1;
    if (this.isBetter(metric, s.best)) {
      s.best = metric;
      s.numBadEpochs = 0;
    } else {
      s.numBadEpochs += 1;
    }
    if (s.cooldownCounter > 0) {
      s.cooldownCounter -= 1;
      s.numBadEpochs = 0;
    }
    if (s.numBadEpochs > this.options.patience) {
      const next = Math.max(lr * this.options.factor, this.options.minLr);
      s.cooldownCounter = this.options.cooldown;
      s.numBadEpochs = 0;
      if (lr - next > this.options.eps) return next;
    }
    return lr;
  }

  getState(): ReduceLROnPlateauState {
    return { ...this.state };
  }

  setState(state: ReduceLROnPlateauState): void {
    this.state = { ...state };
  }
}
