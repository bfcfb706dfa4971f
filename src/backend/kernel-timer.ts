import * as tf from '@tensorflow/tfjs-core';

/** Time spent in one kernel name (self time: kernels it called are counted under their own names). */
export interface KernelTime {
  kernel: string;
  calls: number;
  /** wall time inside the kernel minus the time of kernels it called */
  selfMs: number;
}

/**
 * Runs `fn` with every kernel registered for `backendName` wrapped in a timer, and returns the self time
 * per kernel name, largest first. Our wasm kernels are composed of other kernels; self time keeps a
 * composite kernel's own work (heap copies, JavaScript loops) apart from the kernels it runs, so the
 * totals add up to the wall time of all kernels. The original registrations are restored afterwards.
 * The backend runs kernels synchronously (wasm, cpu), so wall time is kernel time.
 */
export async function timeKernels(backendName: string, fn: () => Promise<void> | void): Promise<KernelTime[]> {
  const originals = tf.getKernelsForBackend(backendName);
  const totals = new Map<string, KernelTime>();
  // Time of kernels called from inside the kernel currently running, per nesting level.
  const childMs: number[] = [];
  const wrap =
    (config: tf.KernelConfig): tf.KernelFunc =>
    (args) => {
      childMs.push(0);
      const start = performance.now();
      let out: ReturnType<tf.KernelFunc>;
      try {
        out = config.kernelFunc(args);
      } finally {
        const elapsed = performance.now() - start;
        const children = childMs.pop() ?? 0;
        if (childMs.length > 0) childMs[childMs.length - 1] += elapsed;
        const entry = totals.get(config.kernelName) ?? { kernel: config.kernelName, calls: 0, selfMs: 0 };
        entry.calls += 1;
        entry.selfMs += elapsed - children;
        totals.set(config.kernelName, entry);
      }
      return out;
    };
  const replace = (config: tf.KernelConfig, kernelFunc: tf.KernelFunc): void => {
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc });
  };
  for (const config of originals) replace(config, wrap(config));
  try {
    await fn();
  } finally {
    for (const config of originals) replace(config, config.kernelFunc);
  }
  return [...totals.values()].sort((a, b) => b.selfMs - a.selfMs);
}
