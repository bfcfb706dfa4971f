import * as tf from '@tensorflow/tfjs-core';
import { KernelArgs } from '../kernel-registration';
import { NativeModule, nativeModule } from '../native/module';

/** Below this many values a pass stays on one thread (a hand-off costs about 70 µs). */
export const MIN_VALUES_PER_THREAD = 1 << 16;

/** The native module of a fused kernel's backend; the kernels are registered only where it loads. */
export function nativeFor(args: KernelArgs): { m: NativeModule; backend: tf.KernelBackend } {
  const backend = args.backend as tf.KernelBackend;
  const m = nativeModule(backend);
  if (m == null) throw new Error('fundus-train native wasm kernels are not available');
  return { m, backend };
}
