import * as vm from 'vm';
import { UserError } from '../../util/errors';

type Ort = typeof import('onnxruntime-node');

let cached: Ort | null = null;

/**
 * onnxruntime-node (an optional dependency), or a one-line error saying how to get it. Loaded through the
 * main module, in the main realm: its native binding makes typed arrays of that realm, and its JavaScript
 * checks them with instanceof, which fails when a test runner (jest) loads modules into a vm context.
 */
export function onnxRuntime(): Ort {
  if (cached) return cached;
  try {
    const main = (vm.runInThisContext('process') as NodeJS.Process).mainModule;
    const file = require.resolve('onnxruntime-node');
    cached = (main ? main.require(file) : require(file)) as Ort;
    return cached;
  } catch (e) {
    throw new UserError(
      `running an ONNX model needs onnxruntime-node, which is not installed here (${(e as Error).message.split('\n')[0]}): ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install onnxruntime-node`,
    );
  }
}

/** Whether onnxruntime-node can be loaded. */
export function hasOnnxRuntime(): boolean {
  try {
    onnxRuntime();
    return true;
  } catch {
    return false;
  }
}

/** A Float32Array of the main realm (the one onnxruntime-node accepts), holding a copy of `data`. */
export function ortFloat32(data: ArrayLike<number>): Float32Array {
  const Native = vm.runInThisContext('Float32Array') as Float32ArrayConstructor;
  return Native.from(data);
}
