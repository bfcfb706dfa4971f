import { WasmHeapExhausted } from '../backend/wasm/heap-meter';
import type { ClassifierModel } from '../models/classifier';
import { UserError } from '../util/errors';

/**
 * How a batch of `batchSize` images splits into passes of at most `microBatch` images: as few passes
 * as that allows, of sizes that differ by at most one (batch norm then sees similar statistics in
 * each). No micro-batch (or one at least the batch) is one pass of the whole batch.
 */
export function microBatchSizes(batchSize: number, microBatch?: number | null): number[] {
  if (microBatch == null || microBatch >= batchSize) return [batchSize];
  const passes = Math.ceil(batchSize / microBatch);
  const base = Math.floor(batchSize / passes);
  return Array.from({ length: passes }, (_, i) => base + (i < batchSize % passes ? 1 : 0));
}

/** A full wasm heap during a step, as the one line a user can act on; any other error unchanged. */
export function explainHeapExhausted(e: unknown, model: ClassifierModel, imagesPerPass: number): unknown {
  if (!(e instanceof WasmHeapExhausted)) return e;
  return new UserError(
    `${model.modelName} at ${model.imageSize} px, ${imagesPerPass} image(s) per pass: ${e.detail}; ` +
      'set train.microBatch to auto (or a smaller number), or use a smaller model.imageSize or a smaller model',
  );
}
