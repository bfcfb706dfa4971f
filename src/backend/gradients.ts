import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient functions for tfjs-core's ops. tfjs-core 4.x registers none by itself, and the file that
 * would (`@tensorflow/tfjs-core/dist/register_all_gradients`) is an ES module with extensionless imports
 * that Node cannot load from CommonJS. The CommonJS bundles of @tensorflow/tfjs-layers (and of the
 * @tensorflow/tfjs umbrella, which tfjs-node pulls in) carry tfjs-core's gradient definitions and register
 * them into tfjs-core's global registry when required.
 */
const GRADIENT_PROVIDERS = ['@tensorflow/tfjs-layers', '@tensorflow/tfjs'] as const;

/** Whether tfjs-core's gradient functions are registered (checked on ops every model uses). */
export function gradientsRegistered(): boolean {
  return tf.getGradient(tf.Conv2D) != null && tf.getGradient(tf.BatchMatMul) != null && tf.getGradient(tf.Add) != null;
}

/**
 * Registers tfjs-core's gradient functions (idempotent). Throws when no installed package provides
 * them: that is a broken installation, not a user mistake.
 */
export function registerGradients(): void {
  if (gradientsRegistered()) return;
  for (const pkg of GRADIENT_PROVIDERS) {
    try {
      require(pkg);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`'${pkg}'`)) continue;
      throw e;
    }
    if (gradientsRegistered()) return;
  }
  throw new Error(
    'TensorFlow.js gradient functions are not available: install @tensorflow/tfjs-layers 4.22.0 (a dependency of ' +
      "fundus-train; its CommonJS bundle registers tfjs-core's gradients)",
  );
}
