/**
 * One switch for fundus-train's speed-ups on the wasm backend: the native kernels (wasm/native), the fused
 * operations that use them (ops/), and the faster replacements of shipped kernels (wasm/). With it off,
 * every operation takes its plain path: tfjs ops and the shipped kernels, plus the reference versions of the
 * gradient kernels wasm lacks. Results agree to float rounding either way; the switch exists to prove that
 * (the equal-loss-curve test) and to rule the speed-ups out when something looks wrong.
 *
 * Default: on, unless the environment sets FUNDUS_WASM_OPTIMIZATIONS=0.
 */
let enabled = process.env.FUNDUS_WASM_OPTIMIZATIONS !== '0';

export function optimizationsEnabled(): boolean {
  return enabled;
}

/** Turns the speed-ups on or off from the next operation on (returns the previous setting). */
export function setOptimizationsEnabled(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}
