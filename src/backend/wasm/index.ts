import * as tf from '@tensorflow/tfjs-core';
import { makeBatchMatMul } from './batch-mat-mul';
import { conv2dBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2dBackpropInput } from './conv2d-backprop-input';
import { depthwiseConv2dBackpropFilter } from './depthwise-conv2d-backprop-filter';
import { depthwiseConv2dBackpropInput } from './depthwise-conv2d-backprop-input';
import { makeFusedMatMul } from './fused-mat-mul';
import { overrideKernel, registerIfMissing } from './kernel-registration';
import { unsortedSegmentSum } from './unsorted-segment-sum';

/** Kernels TensorFlow.js 4.22's wasm backend lacks for training, that registerWasmTrainingKernels adds. */
export const ADDED_WASM_KERNELS: readonly string[] = [
  tf.Conv2DBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.UnsortedSegmentSum,
];

/**
 * Shipped wasm kernels that registerWasmTrainingKernels replaces with faster (and, for the fused product,
 * correct) versions; each override hands what it does not improve to the shipped kernel.
 */
export const OVERRIDDEN_WASM_KERNELS: readonly string[] = [tf.BatchMatMul, tf._FusedMatMul, tf.Conv2DBackpropInput];

/**
 * Makes the wasm backend able to train: registers the gradient kernels it lacks and replaces its matrix
 * products (slow when transposed or batched, which backward passes are) and its convolution input
 * gradient with faster ones. Idempotent; does not need the wasm
 * backend to be initialised yet (only @tensorflow/tfjs-backend-wasm imported).
 */
export function registerWasmTrainingKernels(): void {
  registerIfMissing(tf.Conv2DBackpropFilter, conv2dBackpropFilter);
  registerIfMissing(tf.DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dBackpropFilter);
  registerIfMissing(tf.DepthwiseConv2dNativeBackpropInput, depthwiseConv2dBackpropInput);
  registerIfMissing(tf.UnsortedSegmentSum, unsortedSegmentSum);
  overrideKernel(tf.BatchMatMul, makeBatchMatMul);
  overrideKernel(tf._FusedMatMul, makeFusedMatMul);
  overrideKernel(tf.Conv2DBackpropInput, makeConv2dBackpropInput);
}
