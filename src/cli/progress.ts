import { SingleBar, Presets } from 'cli-progress';
import { formatEpochReport } from '../eval/report/text';
import type { MetricsReport } from '../eval/compute-metrics';
import type { EpochRecord, TrainBeginInfo, TrainerCallback } from '../train/callbacks';

type Write = (line: string) => void;

const fmt = (v: unknown, digits = 4): string => (typeof v === 'number' ? v.toFixed(digits) : 'n/a');

/**
 * The console view of training: a progress bar per epoch (loss, images/s) on a terminal, then
 * a summary line and a compact per-class report after each epoch. Without a terminal (CI, logs)
 * only the lines are written.
 */
export class ProgressLogger implements TrainerCallback {
  private bar: SingleBar | null = null;
  private epochs = 0;
  private batches = 0;

  constructor(
    private readonly write: Write = (l) => process.stdout.write(l + '\n'),
    private readonly interactive = Boolean(process.stderr.isTTY),
  ) {}

  onMessage(line: string): void {
    this.stopBar();
    this.write(line);
  }

  onTrainBegin(info: TrainBeginInfo): void {
    this.epochs = info.epochs;
    this.batches = info.batchesPerEpoch;
    this.write(`run directory: ${info.outDir}`);
    this.write(`images: ${info.trainImages} train, ${info.valImages} val, ${info.testImages} test; ${info.batchesPerEpoch} batches per epoch`);
  }

  onEpochBegin(epoch: number, phase: string, lr: number): void {
    if (!this.interactive) return;
    this.bar = new SingleBar(
      {
        format: `epoch ${epoch + 1}/${this.epochs} [{bar}] {value}/{total} | loss {loss} | {ips} img/s | ${phase} lr ${lr.toExponential(2)}`,
        stream: process.stderr,
        clearOnComplete: true,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    this.bar.start(this.batches, 0, { loss: '-', ips: '-' });
  }

  onBatchEnd(_epoch: number, batch: number, logs: { loss: number; imagesPerSecond: number }): void {
    this.bar?.update(batch, { loss: logs.loss.toFixed(4), ips: logs.imagesPerSecond.toFixed(1) });
  }

  onEpochEnd(record: EpochRecord, report: MetricsReport, notes: string[]): void {
    this.stopBar();
    const auc = record.val_macro_auc ?? record.val_auc;
    // Multi-label runs have no single-label accuracy; their exact-match accuracy is subset accuracy.
    const accKey = 'val_accuracy' in record ? 'val_accuracy' : 'val_subset_accuracy';
    this.write(
      `epoch ${record.epoch}/${this.epochs} ${record.phase} | train_loss ${fmt(record.train_loss)} | val_loss ${fmt(record.val_loss)} | ` +
        `val_macro_auc ${fmt(auc)} | ${accKey} ${fmt(record[accKey])} | lr ${record.lr.toExponential(2)} | ` +
        `${record.seconds.toFixed(1)} s | ${record.images_per_s.toFixed(1)} img/s`,
    );
    for (const line of formatEpochReport(report).split('\n')) this.write(`    ${line}`);
    notes.forEach((n) => this.write(n));
  }

  onTrainEnd(summary: { epochsRun: number; bestEpoch: number | null; stoppedEarly: boolean }): void {
    this.stopBar();
    this.write(`done: ${summary.epochsRun} epochs${summary.stoppedEarly ? ' (stopped early)' : ''}; best epoch ${summary.bestEpoch ?? 'n/a'}`);
  }

  private stopBar(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}
