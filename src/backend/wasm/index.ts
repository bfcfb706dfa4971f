import * as tf from '@tensorflow/tfjs-core';
import { makeBatchMatMul } from './batch-mat-mul';
import { conv2dBackpropFilter } from './conv2d-backprop-filter';
import { makeConv2dBackpropInput } from './conv2d-backprop-input';
import { depthwiseConv2dBackpropFilter } from './depthwise-conv2d-backprop-filter';
import { depthwiseConv2dBackpropInput } from './depthwise-conv2d-backprop-input';
import { makeFusedMatMul } from './fused-mat-mul';
import { makeConv2d } from './native-conv2d';
import { makeIdentity } from './identity';
import { makeTranspose } from './transpose';
import { makeConcat, makeSplitV, makeSum } from './copy-kernels';
import { overrideKernel, registerIfMissing } from './kernel-registration';
import { unsortedSegmentSum } from './unsorted-segment-sum';
import { FusedKernel } from '../fused-kernel-names';
import { channelMoments, layerNorm, layerNormGrad, normAct, normActGrad, softmaxGrad } from './fused/norm-kernels';
import { adamStep, addRelu, gelu, geluGrad, reluGrad } from './fused/elementwise-kernels';
import { maxPoolGrad } from './fused/pool-kernels';
import { channelGateGrad, spatialMean, spatialMeanGrad } from './fused/squeeze-excite-kernels';

/** Kernels TensorFlow.js 4.22's wasm backend lacks for training, that registerWasmTrainingKernels adds. */
export const ADDED_WASM_KERNELS: readonly string[] = [
  tf.Conv2DBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.UnsortedSegmentSum,
];

/**
 * Shipped wasm kernels that registerWasmTrainingKernels replaces with faster (and, for the fused product,
 * correct) versions; each override hands what it does not improve to the shipped kernel, and all but
 * _FusedMatMul hand everything back while the optimisations are off (../optimizations.ts).
 */
export const OVERRIDDEN_WASM_KERNELS: readonly string[] = [
  tf.BatchMatMul,
  tf._FusedMatMul,
  tf.Conv2D,
  tf.Conv2DBackpropInput,
  tf.Identity,
  tf.Transpose,
  tf.SplitV,
  tf.Concat,
  tf.Sum,
];

/** fundus-train's own kernels (native module, native/kernels.c), used by the fused operations of ../ops. */
export const FUSED_WASM_KERNELS: readonly string[] = Object.values(FusedKernel);

/**
 * Makes the wasm backend able to train, and fast at it: registers the gradient kernels it lacks, replaces
 * the shipped kernels that are slow for training (matrix products and convolutions, the convolution
 * input gradient, copies: Identity, Transpose, SplitV, Concat, sums over leading axes), and
 * registers the kernels of the fused operations (batch norm + activation, layer norm, GELU,
 * squeeze-and-excitation, Adam). Idempotent; does not need the wasm backend to be initialised yet (only
 * @tensorflow/tfjs-backend-wasm imported).
 */
export function registerWasmTrainingKernels(): void {
  registerIfMissing(tf.Conv2DBackpropFilter, conv2dBackpropFilter);
  registerIfMissing(tf.DepthwiseConv2dNativeBackpropFilter, depthwiseConv2dBackpropFilter);
  registerIfMissing(tf.DepthwiseConv2dNativeBackpropInput, depthwiseConv2dBackpropInput);
  registerIfMissing(tf.UnsortedSegmentSum, unsortedSegmentSum);
  overrideKernel(tf.BatchMatMul, makeBatchMatMul);
  overrideKernel(tf._FusedMatMul, makeFusedMatMul);
  overrideKernel(tf.Conv2D, makeConv2d);
  overrideKernel(tf.Conv2DBackpropInput, makeConv2dBackpropInput);
  overrideKernel(tf.Identity, makeIdentity);
  overrideKernel(tf.Transpose, makeTranspose);
  overrideKernel(tf.SplitV, makeSplitV);
  overrideKernel(tf.Concat, makeConcat);
  overrideKernel(tf.Sum, makeSum);
  registerIfMissing(FusedKernel.ChannelMoments, channelMoments as tf.KernelFunc);
  registerIfMissing(FusedKernel.NormAct, normAct);
  registerIfMissing(FusedKernel.NormActGrad, normActGrad as tf.KernelFunc);
  registerIfMissing(FusedKernel.LayerNorm, layerNorm as tf.KernelFunc);
  registerIfMissing(FusedKernel.LayerNormGrad, layerNormGrad as tf.KernelFunc);
  registerIfMissing(FusedKernel.SoftmaxGrad, softmaxGrad);
  registerIfMissing(FusedKernel.Gelu, gelu);
  registerIfMissing(FusedKernel.GeluGrad, geluGrad);
  registerIfMissing(FusedKernel.AddRelu, addRelu);
  registerIfMissing(FusedKernel.ReluGrad, reluGrad);
  registerIfMissing(FusedKernel.AdamStep, adamStep as tf.KernelFunc);
  registerIfMissing(FusedKernel.SpatialMean, spatialMean);
  registerIfMissing(FusedKernel.SpatialMeanGrad, spatialMeanGrad);
  registerIfMissing(FusedKernel.MaxPoolGrad, maxPoolGrad);
  registerIfMissing(FusedKernel.ChannelGateGrad, channelGateGrad as tf.KernelFunc);
}
