import * as tf from '@tensorflow/tfjs-core';
import { wasmHeap } from './heap-layout';

/**
 * Drops the XNNPACK operators the shipped kernels cached on `info`'s data, keeping the data.
 *
 * The shipped BatchMatMul treats its right operand as weights: it packs a copy of it into a new
 * fully-connected operator, caches that operator on the operand's tensor id and frees it only when the
 * tensor is disposed. That is right for a layer's weights; in a backward pass the packed operand is often
 * an activation kept on the tape until the step ends (ResNet's 1×1 convolutions and ViT's linear layers
 * pack their inputs for the weight gradient), so a copy of every such activation stayed in the heap,
 * unseen by the heap meter (measured: 1064 MiB of heap for 392 MiB of such inputs, 493 MiB without it).
 *
 * The C side's dispose runs the tensor's disposal callbacks (which delete its cached operators) and
 * forgets the id; registering the same id, size and address again gives the data back unchanged, with
 * nothing cached on it. The next product with it packs it again.
 */
export function releaseCachedOperators(info: tf.TensorInfo, backend: tf.KernelBackend): void {
  const heap = wasmHeap(backend);
  const data = heap.dataIdMap.get(info.dataId);
  if (data == null || data.memoryOffset == null) return;
  heap.wasm.tfjs.disposeData(data.id);
  heap.wasm.tfjs.registerTensor(data.id, tf.util.sizeFromShape(data.shape), data.memoryOffset);
}
