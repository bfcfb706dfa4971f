import { z } from 'zod';
import { commonShape } from '../common-schema';
import { SYNTHETIC_TASKS } from '../constants';

export const syntheticSourceSchema = z.strictObject({
  ...commonShape,
  source: z.literal('synthetic'),
  /** Which labels the rendered images carry: cup-to-disc ratio, DR lesions, or four independent flags. */
  task: z.enum(SYNTHETIC_TASKS),
  /** Number of images (pairs of consecutive images are the two eyes of one patient). */
  count: z.int().min(2).default(600),
  /** Side of the rendered square image in pixels (the pipeline resizes to the model's size). */
  renderSize: z.int().min(32).max(2048).default(128),
});

export type SyntheticSourceConfig = z.infer<typeof syntheticSourceSchema>;

/** data.source: synthetic with its paths absolute. */
export function resolveSyntheticPaths(cfg: SyntheticSourceConfig): SyntheticSourceConfig {
  return { ...cfg };
}
