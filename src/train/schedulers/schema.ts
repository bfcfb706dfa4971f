import { z } from 'zod';

/** train.scheduler for the closed-form schedules; plateau's schema stays beside the other train keys. */

const unit = z.enum(['epoch', 'step']);

export const cosineConfigSchema = z
  .strictObject({
    name: z.literal('cosine'),
    /** Warm-up length in epochs (converted to steps when updating per step); or give warmupSteps. */
    warmupEpochs: z.number().min(0).default(0),
    /** Warm-up length in optimizer steps; needs update: step. */
    warmupSteps: z.int().min(0).optional(),
    /** Learning rate at the start of the warm-up (timm warmup_lr_init). */
    warmupLr: z.number().min(0).default(0),
    /** Floor of the cosine (timm lr_min; RETFound: 1e-6). */
    minLr: z.number().min(0).default(0),
    /** Length of one cycle in epochs; default: the whole run (train.epochs). */
    cycleEpochs: z.number().positive().optional(),
    /** Cycles before the rate stays at minLr (timm cycle_limit; > 1 = warm restarts). */
    cycleLimit: z.int().min(1).default(1),
    cycleMul: z.number().positive().default(1),
    cycleDecay: z.number().positive().max(1).default(1),
    /** Start the cosine after the warm-up instead of overlapping it (timm warmup_prefix). */
    warmupPrefix: z.boolean().default(false),
    /** step: a new rate for every optimizer update (RETFound, timm with --sched-on-updates); epoch: once per epoch (timm's default). */
    update: unit.default('step'),
  })
  .refine((c) => c.warmupSteps === undefined || c.update === 'step', { message: 'warmupSteps needs update: step', path: ['warmupSteps'] });

export const stepConfigSchema = z
  .strictObject({
    name: z.literal('step'),
    /** StepLR: multiply by gamma every stepSize epochs (or steps). */
    stepSize: z.int().min(1).optional(),
    /** MultiStepLR: multiply by gamma at each of these epochs (or steps). */
    milestones: z.array(z.int().min(1)).min(1).optional(),
    gamma: z.number().gt(0).max(1).default(0.1),
    update: unit.default('epoch'),
  })
  .refine((c) => (c.stepSize === undefined) !== (c.milestones === undefined), { message: 'give exactly one of stepSize or milestones' });

export const oneCycleConfigSchema = z.strictObject({
  name: z.literal('onecycle'),
  /** Peak rate; default: train.optimizer.lr. */
  maxLr: z.number().positive().optional(),
  pctStart: z.number().gt(0).lt(1).default(0.3),
  anneal: z.enum(['cos', 'linear']).default('cos'),
  divFactor: z.number().positive().default(25),
  finalDivFactor: z.number().positive().default(1e4),
  threePhase: z.boolean().default(false),
});

export type CosineConfig = z.infer<typeof cosineConfigSchema>;
export type StepConfig = z.infer<typeof stepConfigSchema>;
export type OneCycleConfig = z.infer<typeof oneCycleConfigSchema>;
