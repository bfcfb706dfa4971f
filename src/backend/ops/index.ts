/** Fused operations: one kernel where fundus-train's native wasm kernels run, tfjs ops elsewhere (null). */
export { batchNormActTraining, batchNormActFixed } from './batch-norm-act';
export type { BatchNormTrainResult, NormActivation } from './batch-norm-act';
export { layerNormFused } from './layer-norm';
export { geluFused } from './gelu';
export { adamStepFused } from './adam-step';
export { spatialMeanFused, channelGateFused } from './squeeze-excite';
export { maxPoolPaddedFused, maxPoolPadded } from './max-pool';
export { addReluFused } from './add-relu';
export { softmaxFused } from './softmax';
