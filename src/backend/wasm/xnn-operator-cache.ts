import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The parts of tfjs-backend-wasm 4.22's C API this uses (exported by the shipped module). */
interface WasmTensorRegistry {
  registerTensor(id: number, size: number, memoryOffset: number): void;
  disposeData(id: number): void;
}

interface TensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
}

/**
 * Drops the XNNPACK operators the shipped kernels cached on `info`'s data, keeping the data.
 *
 * The shipped BatchMatMul treats its right operand as weights: it packs a copy of it into a new
 * fully-connected operator, caches that operator on the operand's tensor id and frees it only when the
 * tensor is disposed. That is right for a layer's weights; in a backward pass the packed operand is often
 * an activation kept on the tape until the step ends (ResNet's 1×1 convolutions and ViT's linear layers
 * pack their inputs for the weight gradient), so a copy of every such activation piled up in the heap,
 * unseen by the heap meter, until an allocation inside the C code failed and the process aborted
 * (resnet50 at batch 8, densenet121 at batch 7 on a 3 GiB heap).
 *
 * The C side's dispose runs the tensor's disposal callbacks (which delete its cached operators) and
 * forgets the id; registering the same id, size and address again gives the data back unchanged, with
 * nothing cached on it. The next product with it packs it again.
 */
export function releaseCachedOperators(info: tf.TensorInfo, backend: tf.KernelBackend): void {
  const wasm = backend as unknown as BackendWasm & { wasm: { tfjs: Partial<WasmTensorRegistry> } };
  const registry = wasm.wasm?.tfjs;
  if (registry == null || typeof registry.disposeData !== 'function' || typeof registry.registerTensor !== 'function') return;
  const data = (wasm.dataIdMap as unknown as { get(dataId: object): TensorData | undefined }).get(info.dataId);
  if (data == null || data.memoryOffset == null) return;
  registry.disposeData(data.id);
  registry.registerTensor(data.id, tf.util.sizeFromShape(data.shape), data.memoryOffset);
}
