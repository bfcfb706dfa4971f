import { z } from 'zod';
import { parseRandAugment } from './rand-augment';

/** data.augment.randAugment: timm's config string, or the string with the resampling of the geometric ops. */
export const randAugmentSchema = z
  .union([
    z.string(),
    z.strictObject({
      policy: z.string(),
      /** timm's default in train.py is random (bilinear or bicubic per op); RETFound uses bicubic. */
      interpolation: z.enum(['bilinear', 'bicubic', 'random']).default('bicubic'),
    }),
  ])
  .transform((v) => (typeof v === 'string' ? { policy: v, interpolation: 'bicubic' as const } : v))
  .superRefine((v, ctx) => {
    try {
      parseRandAugment(v.policy);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  })
  .nullable()
  .default(null);

/** data.augment.randomErasing: timm's RandomErasing after normalisation (RETFound: prob 0.25, mode pixel). */
export const randomErasingSchema = z
  .strictObject({
    prob: z.number().min(0).max(1).default(0.25),
    mode: z.enum(['const', 'rand', 'pixel']).default('pixel'),
    minArea: z.number().gt(0).lt(1).default(0.02),
    maxArea: z
      .number()
      .gt(0)
      .lt(1)
      .default(1 / 3),
    minAspect: z.number().positive().default(0.3),
    maxAspect: z.number().positive().nullable().default(null),
    minCount: z.int().min(1).default(1),
    maxCount: z.int().min(1).nullable().default(null),
  })
  .refine((o) => o.minArea <= o.maxArea, { message: 'minArea must not exceed maxArea', path: ['minArea'] })
  .nullable()
  .default(null);

export type RandAugmentConfig = z.infer<typeof randAugmentSchema>;
export type RandomErasingConfig = z.infer<typeof randomErasingSchema>;
