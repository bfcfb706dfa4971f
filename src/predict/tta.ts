import * as tf from '@tensorflow/tfjs-core';
import { ExperimentConfig } from '../config/schema';

/** A view of the input that test-time augmentation averages over. */
export interface TtaView {
  name: string;
  apply: (x: tf.Tensor4D) => tf.Tensor4D;
}

const IDENTITY: TtaView = { name: 'original', apply: (x) => x };
// NHWC: axis 2 is the width (a mirror image left to right), axis 1 the height.
const HORIZONTAL: TtaView = { name: 'horizontal mirror', apply: (x) => tf.reverse(x, 2) };
const VERTICAL: TtaView = { name: 'vertical mirror', apply: (x) => tf.reverse(x, 1) };

/**
 * The views of flip-averaging TTA: the image and its horizontal mirror, plus the vertical mirror when
 * the run trained with vertical flips (a model never shown upside-down fundi should not be asked about
 * them). Without TTA only the image itself.
 */
export function ttaViews(config: Pick<ExperimentConfig, 'data'>, tta: boolean): TtaView[] {
  if (!tta) return [IDENTITY];
  return config.data.augment.vflip > 0 ? [IDENTITY, HORIZONTAL, VERTICAL] : [IDENTITY, HORIZONTAL];
}
