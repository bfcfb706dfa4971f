import type { MetricsReport } from '../eval/compute-metrics';

/** One line of metrics.jsonl. */
export interface EpochRecord {
  epoch: number;
  phase: 'finetune' | 'linear-probe';
  lr: number;
  train_loss: number;
  val_loss: number;
  /** Headline validation metrics as val_<key>; null where undefined (the reason is in the report). */
  [key: string]: number | string | null | Record<string, number | null>;
  seconds: number;
  images_per_s: number;
}

export interface TrainBeginInfo {
  outDir: string;
  startEpoch: number;
  epochs: number;
  trainImages: number;
  valImages: number;
  testImages: number;
  batchesPerEpoch: number;
}

/** Hooks into the training loop (Keras-style callbacks); every method is optional. */
export interface TrainerCallback {
  onTrainBegin?(info: TrainBeginInfo): void;
  onEpochBegin?(epoch: number, phase: string, lr: number): void;
  onBatchEnd?(epoch: number, batch: number, logs: { loss: number; imagesPerSecond: number }): void;
  onEpochEnd?(record: EpochRecord, report: MetricsReport, notes: string[]): void;
  onTrainEnd?(summary: { epochsRun: number; bestEpoch: number | null; stoppedEarly: boolean }): void;
  /** A line worth telling the user (pretrained weights loaded, lr reduced, ...). */
  onMessage?(line: string): void;
}
