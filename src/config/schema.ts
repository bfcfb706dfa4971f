import { z } from 'zod';
import { dataConfigSchema } from '../data/config';
import { BACKEND_NAMES } from '../backend/select';
import type { Direction } from '../eval/metric-registry';
import { compositeMonitorSchema, modeField, monitorField, resolveMode } from './monitors';
import { cosineConfigSchema, oneCycleConfigSchema, stepConfigSchema } from '../train/schedulers/schema';
import { classWeightsSchema, focalConfigSchema, posWeightSchema } from '../train/loss-schema';
import { emaConfigSchema } from '../train/ema';
import { clipGradSchema } from '../train/clip-grad';

/**
 * The experiment config: one file describes a whole run. Every default is written here,
 * so the resolved config in the run directory shows every value that shaped the result.
 */

export const modelConfigSchema = z.strictObject({
  /** A registered model name (timm's), e.g. efficientnet_b0, vit_small_patch14_dinov2. */
  name: z.string().min(1),
  /** Square input size in pixels; default: the variant's native size. */
  imageSize: z.int().min(16).optional(),
  /** Pretrained weights: a safetensors file or a PyTorch checkpoint (pytorch_model.bin, .pth). */
  pretrained: z.string().min(1).nullable().default(null),
  /** With pretrained: every tensor must match, apart from a classifier of another class count. */
  strict: z.boolean().default(true),
  /** Dropout before the classifier; default: the variant's. */
  dropRate: z.number().min(0).max(1).optional(),
  /** Stochastic depth, increasing linearly over the blocks. */
  dropPathRate: z.number().min(0).max(1).default(0),
  /** Overrides of the variant's architecture arguments (timm's create_model kwargs), e.g. {depth: 2}. */
  args: z.record(z.string(), z.unknown()).default({}),
  /** Recompute each block's activations in the backward pass (timm's set_grad_checkpointing): less memory, one more forward pass per step. */
  checkpointActivations: z.boolean().default(false),
});

export const optimizerConfigSchema = z.strictObject({
  /** adam: L2 penalty added to the gradient (torch.optim.Adam); adamw: decoupled weight decay. */
  name: z.enum(['adam', 'adamw']).default('adamw'),
  lr: z.number().positive().default(1e-3),
  /** RETFound's rule: lr = baseLr × train.batchSize / 256, resolved into lr (give lr or baseLr, not both). */
  baseLr: z.number().positive().nullable().default(null),
  weightDecay: z.number().min(0).default(0.01),
  betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  eps: z.number().positive().default(1e-8),
});

export const plateauConfigSchema = z.strictObject({
  name: z.literal('plateau'),
  monitor: monitorField.default('val_macro_auc'),
  /** auto: min for losses and calibration errors, max for the rest (the metric registry's direction). */
  mode: modeField,
  factor: z.number().gt(0).lt(1).default(0.1),
  patience: z.int().min(0).default(10),
  threshold: z.number().min(0).default(1e-4),
  thresholdMode: z.enum(['rel', 'abs']).default('rel'),
  cooldown: z.int().min(0).default(0),
  minLr: z.number().min(0).default(0),
  eps: z.number().min(0).default(1e-8),
});

export const schedulerConfigSchema = z.discriminatedUnion('name', [
  plateauConfigSchema,
  cosineConfigSchema,
  stepConfigSchema,
  oneCycleConfigSchema,
  z.strictObject({ name: z.literal('none') }),
]);

export const earlyStoppingConfigSchema = z.strictObject({
  monitor: monitorField.default('val_macro_auc'),
  mode: modeField,
  /** Epochs without improvement before stopping. */
  patience: z.int().min(1),
  /** Smallest change that counts as an improvement. */
  minDelta: z.number().min(0).default(0),
});

const trainConfigObject = z.strictObject({
  epochs: z.int().min(1).default(10),
  batchSize: z.int().min(1).default(16),
  /** Images per forward/backward pass, gradients summed over the batch: a number, auto (the largest that fits in memory) or absent (the whole batch). */
  microBatch: z.union([z.int().min(1), z.literal('auto')]).optional(),
  /** Memory a training step may plan for with microBatch auto, MiB; absent: the wasm heap's 4 GiB (no limit on other backends). */
  memoryLimitMiB: z.number().positive().optional(),
  /** finetune: every weight trains; linear-probe: only the classifier (backbone and its BN statistics frozen); lp-ft: linear probe for lpEpochs, then fine-tune. */
  strategy: z.enum(['finetune', 'linear-probe', 'lp-ft']).default('finetune'),
  lpEpochs: z.int().min(0).default(0),
  /** lp-ft: learning-rate factor for the fine-tuning phase. */
  ftLrScale: z.number().positive().default(0.1),
  /** Layer-wise learning-rate decay for ViTs (RETFound's recipe): block i gets lr·decay^(depth − i). Null = off. */
  layerDecay: z.number().gt(0).max(1).nullable().default(null),
  /** auto: cross-entropy for binary and multiclass, BCE-with-logits for multi-label. */
  loss: z.enum(['auto', 'cross-entropy', 'bce', 'focal']).default('auto'),
  labelSmoothing: z.number().min(0).lt(1).default(0),
  /** Cross-entropy class weights: balanced (scikit-learn's) or one per class; null = none. */
  classWeights: classWeightsSchema,
  /** BCE pos_weight: balanced (negatives/positives per label) or one per label; null = none. */
  posWeight: posWeightSchema,
  /** With loss focal: sigmoid focal loss for multi-label (torchvision's), softmax focal loss otherwise. */
  focal: focalConfigSchema.prefault({}),
  /** EMA of the weights (timm's ModelEmaV3), validated beside the raw model; null = off. */
  ema: emaConfigSchema.nullable().default(null),
  /** Gradient clipping: { norm } (torch clip_grad_norm_) or { value } (clip_grad_value_); null = off. */
  clipGrad: clipGradSchema,
  optimizer: optimizerConfigSchema.prefault({}),
  scheduler: schedulerConfigSchema.prefault({ name: 'plateau' }),
  earlyStopping: earlyStoppingConfigSchema.nullable().default(null),
  /** The metric that picks checkpoints/best. */
  checkpointMonitor: monitorField.default('val_macro_auc'),
  checkpointMode: modeField,
  /** The weighted mean a monitor "composite" stands for. */
  compositeMonitor: compositeMonitorSchema.prefault({}),
});

type RawTrainConfig = z.output<typeof trainConfigObject>;
export type PlateauConfig = Omit<z.output<typeof plateauConfigSchema>, 'mode'> & { mode: Direction };
export type EarlyStoppingConfig = Omit<z.output<typeof earlyStoppingConfigSchema>, 'mode'> & { mode: Direction };
export type SchedulerConfig = PlateauConfig | Exclude<RawTrainConfig['scheduler'], { name: 'plateau' }>;
/** The train section as validated: every mode concrete (auto resolved), so the trainer only sees min or max. */
export type TrainConfig = Omit<RawTrainConfig, 'checkpointMode' | 'scheduler' | 'earlyStopping'> & {
  checkpointMode: Direction;
  scheduler: SchedulerConfig;
  earlyStopping: EarlyStoppingConfig | null;
};

export const trainConfigSchema = trainConfigObject.transform((t): TrainConfig => ({
  ...t,
  scheduler: t.scheduler.name === 'plateau' ? { ...t.scheduler, mode: resolveMode(t.scheduler.mode, t.scheduler.monitor) } : t.scheduler,
  earlyStopping: t.earlyStopping && { ...t.earlyStopping, mode: resolveMode(t.earlyStopping.mode, t.earlyStopping.monitor) },
  checkpointMode: resolveMode(t.checkpointMode, t.checkpointMonitor),
}));

export const evalConfigSchema = z.strictObject({
  /** Bootstrap resamples for confidence intervals of the final test metrics (0 = none). */
  bootstrap: z.int().min(0).default(1000),
  /** Multi-label decision threshold for F1 and subset accuracy: a number, or "tune" (per label, maximising F1 on validation). */
  threshold: z.union([z.number().gt(0).lt(1), z.literal('tune')]).default(0.5),
  /** Binary: the specificity at which sensitivity is reported (REFUGE: 0.85). */
  specificity: z.number().gt(0).lt(1).default(0.85),
  /** Ordered grades (DR): report the referable AUC for grades >= this class index; null = not graded. */
  referableFrom: z.int().min(1).nullable().default(null),
});

export const predictConfigSchema = z.strictObject({
  referral: z
    .strictObject({
      /** Refer when no class's probability differs between the eyes by this much or more (the reference screening project's rule); 0 = off. */
      minEyeDifference: z.number().min(0).max(1).default(0.1),
    })
    .prefault({}),
});

export const experimentConfigSchema = z.strictObject({
  /** Name of the experiment; the default run directory is runs/<name>. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
    .default('experiment'),
  seed: z.int().min(0).default(42),
  backend: z.enum(BACKEND_NAMES).default('auto'),
  /** Run directory; default runs/<name> beside the working directory. */
  out: z.string().min(1).optional(),
  data: dataConfigSchema,
  model: modelConfigSchema,
  train: trainConfigSchema.prefault({}),
  eval: evalConfigSchema.prefault({}),
  predict: predictConfigSchema.prefault({}),
});

export type ExperimentConfig = z.infer<typeof experimentConfigSchema>;
export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type OptimizerConfig = z.infer<typeof optimizerConfigSchema>;
export type Monitor = z.output<typeof monitorField>;
