/**
 * Small models the webgpu suites share: every kind of layer the family uses, few channels, so that a
 * step takes seconds on a software adapter.
 */
export interface TinyModel {
  model: string;
  imageSize: number;
  args: Record<string, unknown>;
}

/** A depthwise-separable and an inverted-residual stage, both with squeeze-excitation. */
export const TINY_EFFICIENTNET: TinyModel = {
  model: 'test_efficientnet',
  imageSize: 32,
  args: {
    headChannels: 32,
    stages: [
      { block: 'ds', repeats: 1, kernel: 3, stride: 1, expand: 1, channels: 8, seRatio: 0.25 },
      { block: 'ir', repeats: 1, kernel: 5, stride: 2, expand: 2, channels: 16, seRatio: 0.25 },
    ],
  },
};

export const TINY_VIT: TinyModel = { model: 'test_vit', imageSize: 32, args: { depth: 2 } };
