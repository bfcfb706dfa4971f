import * as tf from '@tensorflow/tfjs-core';
import { heapMeter, WASM_HEAP_MAX_BYTES, WasmHeapExhausted } from '../backend/wasm/heap-meter';
import { activeBindingLimit } from '../backend/webgpu/binding-limit';
import { largestTensorAt, PassPlan, planBindingSplit, size, tensorTooLarge } from '../backend/webgpu/pass-plan';
import { UserError } from '../util/errors';
import { TrainStep } from './step';

/** Share of the memory limit a step may plan to use: the rest covers allocator fragmentation and XNNPACK's own buffers, which the meter does not see. */
export const MEMORY_SAFETY = 0.8;

/** A step's measured peak memory as a line in the images per pass: bytes(n) = fixedBytes + perImageBytes · n. */
export interface StepMemory {
  fixedBytes: number;
  perImageBytes: number;
  /** what the optimizer adds on top: Adam's two moments, and the gradient sum when micro-batching */
  optimizerBytes: number;
  accumulatorBytes: number;
}

export interface MicroBatchChoice {
  microBatch: number;
  /** the log line that says how it was chosen (null when nothing was measured) */
  line: string | null;
  memory: StepMemory | null;
  /** on webgpu: the passes the storage-buffer binding allows (see backend/webgpu/pass-plan.ts) */
  binding?: PassPlan;
}

export interface ResolveMicroBatchOptions {
  /** train.microBatch: a number, auto, or absent (the whole batch) */
  setting: number | 'auto' | null | undefined;
  batchSize: number;
  /** train.memoryLimitMiB: absent = the wasm heap's ceiling on wasm, no limit elsewhere */
  memoryLimitMiB?: number | null;
  step: TrainStep;
  numClasses: number;
}

/**
 * train.microBatch resolved to a number. `auto` measures the step (measureStepMemory) and picks the
 * largest micro-batch whose estimated peak fits within MEMORY_SAFETY of the limit; a step that does not
 * fit even one image at a time is a UserError naming the model, the size, the need and the limit.
 *
 * On webgpu every pass must also keep its largest tensor within the storage-buffer binding (tfjs-webgpu
 * does not split a tensor; Dawn refuses the binding and the step computes garbage): the step's tensors
 * are measured without running it (bindingPlan), an unset train.microBatch splits the batch when it
 * must (and says so), `auto` takes the smaller of both answers, and a number that cannot fit is a
 * UserError saying the most that can.
 */
export async function resolveMicroBatch(o: ResolveMicroBatchOptions): Promise<MicroBatchChoice> {
  const binding = await bindingPlan(o);
  if (binding == null) return resolveByMemory(o);
  const cap = binding.maxImages;
  const label = `${o.step.model.modelName} at ${o.step.model.imageSize} px`;
  if (typeof o.setting === 'number' && Math.min(o.setting, o.batchSize) > cap) {
    const images = Math.min(o.setting, o.batchSize);
    throw new UserError(
      `train.microBatch ${o.setting}: ${tensorTooLarge(largestTensorAt(binding.probe, images), binding.limit, label, 'training step', images)}; ` +
        `set train.microBatch to ${cap} or less, or to auto`,
    );
  }
  if (o.setting == null) {
    return cap >= o.batchSize
      ? { microBatch: o.batchSize, line: null, memory: null, binding }
      : { microBatch: cap, line: binding.line!, memory: null, binding };
  }
  const byMemory = await resolveByMemory(o);
  if (o.setting !== 'auto' || byMemory.microBatch <= cap) return { ...byMemory, binding };
  const passes = Math.ceil(o.batchSize / cap);
  const line =
    `train.microBatch auto: ${cap} (batch ${o.batchSize} in ${passes} pass${passes > 1 ? 'es' : ''}; the largest tensor of a pass is ` +
    `${size(largestTensorAt(binding.probe, cap))}, within the ${size(binding.usableBytes)} webgpu can bind; ${cap + 1} images would exceed it)`;
  return { microBatch: cap, line, memory: byMemory.memory, binding };
}

/** The step's passes under webgpu's storage-buffer binding; undefined on every other backend. */
async function bindingPlan(o: ResolveMicroBatchOptions): Promise<PassPlan | undefined> {
  if (activeBindingLimit() == null) return undefined;
  const { model } = o.step;
  const buffers = model.namedVariables().filter((v) => v.isBuffer);
  const saved = buffers.map((b) => tf.clone(b.variable));
  try {
    model.setTraining(true);
    return await planBindingSplit({
      label: `${model.modelName} at ${model.imageSize} px`,
      what: 'training step',
      batchSize: o.batchSize,
      probe: (n) => {
        const x = tf.zeros([n, model.imageSize, model.imageSize, 3]) as tf.Tensor4D;
        const y = tf.tidy(() => tf.cast(tf.oneHot(tf.zeros([n], 'int32') as tf.Tensor1D, o.numClasses), 'float32')) as tf.Tensor2D;
        try {
          const { loss, grads } = o.step.gradients({ x, y }, { seed: 0, key: 'binding-probe' });
          tf.dispose([loss, ...grads.values()]);
        } finally {
          tf.dispose([x, y]);
        }
      },
    });
  } finally {
    // The probe's batch-norm statistics are garbage (nothing ran): put the real ones back.
    buffers.forEach((b, i) => b.variable.assign(saved[i]));
    tf.dispose(saved);
  }
}

/** resolveMicroBatch against the memory limit alone (every backend). */
async function resolveByMemory(o: ResolveMicroBatchOptions): Promise<MicroBatchChoice> {
  if (o.setting == null) return { microBatch: o.batchSize, line: null, memory: null };
  if (o.setting !== 'auto') return { microBatch: Math.min(o.setting, o.batchSize), line: null, memory: null };
  const limitBytes = memoryLimitBytes(o.memoryLimitMiB);
  if (limitBytes == null) {
    return {
      microBatch: o.batchSize,
      line: `train.microBatch auto: ${o.batchSize} (the whole batch: no memory limit on the ${tf.getBackend()} backend; set train.memoryLimitMiB for one)`,
      memory: null,
    };
  }
  const { model } = o.step;
  const usable = limitBytes * MEMORY_SAFETY;
  const where = o.memoryLimitMiB != null ? `train.memoryLimitMiB ${o.memoryLimitMiB}` : `the wasm heap's ${mib(WASM_HEAP_MAX_BYTES)} MiB`;
  const tooBig = (need: string) =>
    new UserError(
      `${model.modelName} at ${model.imageSize} px does not fit even one image per pass: a training step needs ${need} MiB, ` +
        `${where} allows ${mib(usable)} MiB (with a ${Math.round((1 - MEMORY_SAFETY) * 100)}% margin); use a smaller model.imageSize or a smaller model` +
        (o.memoryLimitMiB != null ? ', or raise train.memoryLimitMiB' : ''),
    );
  let memory: StepMemory;
  try {
    memory = await measureStepMemory(o.step, o.numClasses, Math.min(2, o.batchSize));
  } catch (e) {
    if (e instanceof WasmHeapExhausted) throw tooBig(`more than the ${mib(e.heapBytes)}`);
    throw e;
  }
  const need = (n: number) => stepBytes(memory, n, o.batchSize);
  if (need(1) > usable) throw tooBig(`about ${mib(need(1))}`);
  let microBatch = 1;
  while (microBatch < o.batchSize && need(microBatch + 1) <= usable) microBatch++;
  const passes = Math.ceil(o.batchSize / microBatch);
  const line =
    `train.microBatch auto: ${microBatch} (batch ${o.batchSize} in ${passes} pass${passes > 1 ? 'es' : ''}; measured ${mib(memory.fixedBytes + memory.optimizerBytes)} MiB ` +
    `+ ${mib(memory.perImageBytes)} MiB per image, ${mib(need(microBatch))} MiB of the ${mib(usable)} MiB usable under ${where})`;
  return { microBatch, line, memory };
}

/** Estimated peak bytes of one optimizer step at `n` images per pass of a batch of `batchSize`. */
export function stepBytes(m: StepMemory, n: number, batchSize: number): number {
  return m.fixedBytes + m.perImageBytes * n + m.optimizerBytes + (n < batchSize ? m.accumulatorBytes : 0);
}

function memoryLimitBytes(limitMiB: number | null | undefined): number | null {
  const onWasm = heapMeter() != null;
  if (limitMiB != null) return Math.min(limitMiB * 2 ** 20, onWasm ? WASM_HEAP_MAX_BYTES : Infinity);
  return onWasm ? WASM_HEAP_MAX_BYTES : null;
}

/**
 * Measures the peak memory of the step's forward and backward pass at 1 and at `upTo` images (2 at
 * most) and fits a line through them. On wasm the peak is of every byte allocated through the backend
 * (wasm/heap-meter.ts), elsewhere tf.profile's peak of tensor bytes. The model is left in training
 * mode, its weights and buffers as they were: batch-norm statistics updated by the probe are put back.
 */
export async function measureStepMemory(step: TrainStep, numClasses: number, upTo = 2): Promise<StepMemory> {
  const { model } = step;
  const buffers = model.namedVariables().filter((v) => v.isBuffer);
  const saved = buffers.map((b) => tf.clone(b.variable));
  const resident = heapMeter()?.liveBytes ?? tf.memory().numBytes;
  const peaks: number[] = [];
  try {
    model.setTraining(true);
    for (let n = 1; n <= Math.max(1, upTo); n++) {
      try {
        peaks.push(await peakBytesOf(step, n, numClasses));
      } catch (e) {
        // One image fitted and two did not: micro-batch 1, from the first measurement alone.
        if (n > 1 && e instanceof WasmHeapExhausted) break;
        throw e;
      }
    }
  } finally {
    buffers.forEach((b, i) => b.variable.assign(saved[i]));
    tf.dispose(saved);
  }
  // With one measurement, everything above what was resident counts as per image (an upper bound).
  const perImage = peaks.length > 1 ? Math.max(0, peaks[1] - peaks[0]) : Math.max(0, peaks[0] - resident);
  const trainedBytes = step.entries.reduce((s, e) => s + e.variable.size * 4, 0);
  return {
    fixedBytes: Math.max(0, peaks[0] - perImage),
    perImageBytes: perImage,
    optimizerBytes: 2 * trainedBytes,
    accumulatorBytes: trainedBytes,
  };
}

async function peakBytesOf(step: TrainStep, n: number, numClasses: number): Promise<number> {
  const size = step.model.imageSize;
  const x = tf.zeros([n, size, size, 3]) as tf.Tensor4D;
  const y = tf.tidy(() => tf.cast(tf.oneHot(tf.zeros([n], 'int32') as tf.Tensor1D, numClasses), 'float32')) as tf.Tensor2D;
  try {
    const run = async () => {
      const { loss, grads } = step.gradients({ x, y }, { seed: 0, key: 'memory-probe' });
      await loss.data();
      tf.dispose([loss, ...grads.values()]);
    };
    const meter = heapMeter();
    if (meter == null) return (await tf.profile(run)).peakBytes;
    meter.resetPeak();
    await run();
    return meter.peakBytes;
  } finally {
    tf.dispose([x, y]);
  }
}

const mib = (bytes: number): string => String(Math.ceil(bytes / 2 ** 20));
