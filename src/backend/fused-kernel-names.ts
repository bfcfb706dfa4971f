/**
 * Kernels fundus-train registers under its own names (for wasm only; ops/ checks that they exist on the
 * active backend and otherwise computes the same thing with tfjs ops).
 */
export const FusedKernel = {
  /** x [.., C] → [mean [C], biased variance [C]] over every axis but the last */
  ChannelMoments: 'FundusChannelMoments',
  /** act((x − mean)/sqrt(variance + eps)·gamma + beta) per channel; attrs: eps, activation */
  NormAct: 'FundusNormAct',
  /** gradient of act(batchNorm(x)); attrs: activation, training → [dx, dgamma, dbeta] */
  NormActGrad: 'FundusNormActGrad',
  /** layer norm over the last axis; attrs: eps → [y, mean per row, rstd per row] */
  LayerNorm: 'FundusLayerNorm',
  /** gradient of LayerNorm → [dx, dgamma, dbeta] */
  LayerNormGrad: 'FundusLayerNormGrad',
  /** exact GELU, x·Φ(x) */
  Gelu: 'FundusGelu',
  GeluGrad: 'FundusGeluGrad',
  /** max(a + b, 0) for a and b of one shape (a residual connection and its ReLU) */
  AddRelu: 'FundusAddRelu',
  /** ReLU's gradient from its output y and dy */
  ReluGrad: 'FundusReluGrad',
  /** softmax's gradient over the last axis from its output y and dy */
  SoftmaxGrad: 'FundusSoftmaxGrad',
  /** x [N, H, W, C] → mean over H and W, [N, 1, 1, C] */
  SpatialMean: 'FundusSpatialMean',
  /** dy [N, 1, 1, C] → dy/(H·W) at every position; attrs: shape (x's) */
  SpatialMeanGrad: 'FundusSpatialMeanGrad',
  /** gradient of x [N, H, W, C] · gate [N, 1, 1, C] → [dx, dgate] */
  ChannelGateGrad: 'FundusChannelGateGrad',
  /** gradient of max pooling with symmetric padding, x [N, H, W, C] and dy → dx; attrs: kernel, stride, padding */
  MaxPoolGrad: 'FundusMaxPoolGrad',
  /** one Adam step → [param, m, v]; attrs: AdamStepAttrs */
  AdamStep: 'FundusAdamStep',
} as const;

export interface AdamStepAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** sqrt(1 − beta2^t) */
  sqrtBc2: number;
  /** lr / (1 − beta1^t) */
  stepSize: number;
  /** L2 penalty added to the gradient (Adam's weight decay), 0 for none */
  l2: number;
  /** lr · weight decay for AdamW's decoupled decay, 0 for none */
  lrWeightDecay: number;
}
