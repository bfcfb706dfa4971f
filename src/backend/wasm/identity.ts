import * as tf from '@tensorflow/tfjs-core';
import { required } from './kernel-registration';
import { optimizationsEnabled } from '../optimizations';

/**
 * Identity (tf.clone) for wasm that shares the input's memory, as the cpu backend does, instead of
 * copying it. The gradient tape clones every tensor it saves for the backward pass, so the shipped
 * copy doubled the memory of everything a training step keeps (and took 6–9% of its time). Sharing
 * is safe because no kernel writes into an existing tensor's memory: every kernel allocates its output.
 */
export function makeIdentity(shipped: tf.KernelConfig): tf.KernelFunc {
  return (args) => {
    const x = required(args.inputs, 'x');
    if (x.dtype === 'string' || !optimizationsEnabled()) return shipped.kernelFunc(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
