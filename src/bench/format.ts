import type { BenchResult, StepTiming } from './bench';
import type { KernelTime } from '../backend/kernel-timer';

/** One line per measured figure set, for people; `--json` prints the BenchResult instead. */
export function benchLines(r: BenchResult): string[] {
  const head = `${r.model} ${r.imageSize}px batch ${r.batchSize} on ${r.backend} (${(r.params / 1e6).toFixed(2)}M params)`;
  const timing = (what: string, t: StepTiming): string =>
    `${head}: ${what} ${t.medianSeconds.toFixed(3)} s (${t.imagesPerSecond.toFixed(2)} img/s), median of ${r.steps} after ${r.warmup} warm-up`;
  const lines: string[] = [];
  if (r.microBatchLine) lines.push(`${head}: ${r.microBatchLine}`);
  const passes = r.microBatch != null && r.microBatch < r.batchSize ? ` in passes of at most ${r.microBatch}` : '';
  const checkpointed = r.checkpointActivations ? ', activations checkpointed' : '';
  if (r.train) lines.push(timing(`train step${passes}${checkpointed}`, r.train));
  if (r.inference) lines.push(timing('inference', r.inference));
  const leak = r.tensorsGrowthOverSteps === 0 ? '' : `, grew by ${r.tensorsGrowthOverSteps} over the timed training steps`;
  lines.push(`${head}: peak RSS ${r.peakRssMiB.toFixed(0)} MiB; tensors before ${r.tensorsBefore}, after ${r.tensorsAfter}${leak}`);
  for (const [phase, kernels] of Object.entries(r.kernels ?? {})) {
    if (kernels) lines.push(...kernelLines(phase, kernels as KernelTime[], r.steps));
  }
  return lines;
}

/** The kernels taking the most self time, per step. */
function kernelLines(phase: string, kernels: KernelTime[], steps: number, top = 25): string[] {
  const total = kernels.reduce((s, k) => s + k.selfMs, 0);
  const lines = [`${phase} kernels, self time per step (all kernels ${(total / steps).toFixed(1)} ms):`];
  for (const k of kernels.slice(0, top)) {
    const ms = k.selfMs / steps;
    lines.push(
      `  ${k.kernel.padEnd(36)} ${ms.toFixed(1).padStart(9)} ms ${((100 * k.selfMs) / total).toFixed(1).padStart(5)}%  ${(k.calls / steps).toFixed(0).padStart(5)} calls`,
    );
  }
  return lines;
}
