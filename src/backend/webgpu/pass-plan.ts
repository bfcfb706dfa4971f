import { UserError } from '../../util/errors';
import { activeBindingLimit, BindingLimit } from './binding-limit';
import { largestTensorOf } from './largest-buffer';

/**
 * Share of the binding limit a pass may plan to fill. The estimate is exact for activations (below);
 * the rest is slack for kernels whose intermediates grow faster than the batch.
 */
export const BINDING_SAFETY = 0.9;

/** The largest tensor (bytes) measured in a pass of one image and of two (absent when the batch is one image). */
export interface LargestTensorProbe {
  oneImage: number;
  twoImages?: number;
}

/**
 * The estimated largest tensor of a pass of `n` images. Activations are proportional to the images
 * (shape [n, ...]) and weights and their gradients do not depend on n, so the largest tensor is
 * max(W, A·n) for the largest fixed tensor W and the largest activation per image A. The probes bound
 * both, W <= L(1) and A <= L(2)/2, and the bound is exact whenever an activation is the largest at two
 * images, as it is wherever a batch outgrows the binding. (A straight line through L(1) and L(2)
 * would be wrong when a weight is the largest at both.)
 */
export function largestTensorAt(probe: LargestTensorProbe, n: number): number {
  if (n <= 1) return probe.oneImage;
  const perImage = probe.twoImages != null ? probe.twoImages / 2 : probe.oneImage;
  return Math.max(probe.oneImage, perImage * n);
}

/** What is split, for messages. */
export interface PassPlanOptions {
  /** the model and its input size, e.g. "efficientnet_b0 at 224 px" */
  label: string;
  /** "forward pass" or "training step" */
  what: string;
  batchSize: number;
}

export interface PassPlan {
  /** the most images one pass may hold (at least 1, at most the batch) */
  maxImages: number;
  probe: LargestTensorProbe;
  limit: BindingLimit;
  usableBytes: number;
  /** one line saying that the batch is split and why; undefined when the whole batch fits */
  line?: string;
}

/**
 * The most images per pass whose largest tensor fits BINDING_SAFETY of the binding limit. A single
 * image that does not fit is a UserError naming the model, the tensor, the limit and what to change.
 */
export function planPasses(probe: LargestTensorProbe, limit: BindingLimit, o: PassPlanOptions): PassPlan {
  const usableBytes = limit.bytes * BINDING_SAFETY;
  if (probe.oneImage > usableBytes) {
    throw new UserError(
      `${tensorTooLarge(probe.oneImage, limit, o.label, o.what, 1)}; use a smaller model.imageSize or a smaller model, or another backend (wasm)`,
    );
  }
  let maxImages = 1;
  while (maxImages < o.batchSize && largestTensorAt(probe, maxImages + 1) <= usableBytes) maxImages++;
  const plan: PassPlan = { maxImages, probe, limit, usableBytes };
  if (maxImages < o.batchSize) {
    const passes = Math.ceil(o.batchSize / maxImages);
    plan.line =
      `webgpu: each ${o.what} of ${o.label} runs a batch of ${o.batchSize} in ${passes} passes of at most ${maxImages} images: ` +
      `the whole batch's largest tensor would be ${size(largestTensorAt(probe, o.batchSize))}, above ${size(usableBytes)} ` +
      `(${Math.round(BINDING_SAFETY * 100)}% of ${limitWords(limit)})`;
  }
  return plan;
}

/** What is wrong with a pass of `images` images whose largest tensor is `bytes` (the start of a UserError). */
export function tensorTooLarge(bytes: number, limit: BindingLimit, label: string, what: string, images: number): string {
  return (
    `${label}: a ${what} of ${images} image${images === 1 ? '' : 's'} makes a ${size(bytes)} tensor, more than the ` +
    `${size(limit.bytes * BINDING_SAFETY)} webgpu can bind (${Math.round(BINDING_SAFETY * 100)}% of ${limitWords(limit)})`
  );
}

/** "the adapter's storage-buffer binding limit, 1024 MiB" */
export function limitWords(limit: BindingLimit): string {
  return `${limit.source}, ${size(limit.bytes)}`;
}

/**
 * Measures the largest tensor of a pass of one image and of two (`probe(n)` makes a pass of n
 * images and disposes it; see largestTensorOf) and plans the batch's passes. Undefined when the
 * active backend is not webgpu: nothing else has a binding limit.
 */
export async function planBindingSplit(o: PassPlanOptions & { probe: (images: number) => void }): Promise<PassPlan | undefined> {
  const limit = activeBindingLimit();
  if (limit == null) return undefined;
  const probe: LargestTensorProbe = { oneImage: await largestTensorOf(() => o.probe(1)) };
  if (o.batchSize > 1 && probe.oneImage <= limit.bytes * BINDING_SAFETY) probe.twoImages = await largestTensorOf(() => o.probe(2));
  return planPasses(probe, limit, o);
}

/** Bytes in MiB, with decimals where the number is small (test limits are fractions of a MiB). */
export function size(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return `${mib >= 10 ? Math.round(mib) : mib.toFixed(mib >= 1 ? 1 : 3)} MiB`;
}
