import { z } from 'zod';

/** Config keys of the class-imbalance options and the focal loss (train.classWeights, train.posWeight, train.focal). */

const weights = z
  .union([z.literal('balanced'), z.array(z.number().min(0)).min(1)])
  .nullable()
  .default(null);

/** Cross-entropy class weights: 'balanced' (scikit-learn's compute_class_weight) or one per class; null = none. */
export const classWeightsSchema = weights;
/** BCE pos_weight: 'balanced' (negatives / positives per label) or one per label; null = none. */
export const posWeightSchema = weights;

export const focalConfigSchema = z.strictObject({
  /** Focusing exponent (Lin et al.: 2). */
  gamma: z.number().min(0).default(2),
  /** Class balance α: one number (torchvision's sigmoid_focal_loss: 0.25), one per class, or null = none. */
  alpha: z
    .union([z.number().min(0).max(1), z.array(z.number().min(0)).min(1)])
    .nullable()
    .default(null),
});

export type FocalConfig = z.infer<typeof focalConfigSchema>;
