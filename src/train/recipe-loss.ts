import type { ExperimentConfig } from '../config/schema';
import type { Dataset } from '../data/types';
import { UserError } from '../util/errors';
import { sigmoidFocalLoss, softmaxFocalLoss } from './focal-loss';
import { balancedClassWeights, balancedPosWeight, bceWithLogitsPosWeight, weightedSoftmaxCrossEntropy } from './loss-weights';
import { LossFn, LossName, lossFunction } from './losses';

/**
 * The training loss a config asks for: plain cross-entropy/BCE, the same with class weights
 * (cross-entropy) or pos_weight (BCE), or the focal loss (softmax focal for cross-entropy tasks,
 * torchvision's sigmoid focal for BCE). Balanced weights are counted on the training split only.
 * Validation loss stays the plain loss, so val_loss compares across recipes.
 */
export function trainingLoss(config: Pick<ExperimentConfig, 'train'>, lossName: LossName, dataset: Dataset, trainIndices: readonly number[]): LossFn {
  const { classWeights, posWeight, labelSmoothing, focal } = config.train;
  const k = dataset.classes.length;
  if (classWeights !== null && lossName !== 'cross-entropy')
    throw new UserError('train.classWeights: applies to cross-entropy; for BCE (multi-label) use train.posWeight');
  if (posWeight !== null && lossName !== 'bce')
    throw new UserError('train.posWeight: applies to BCE (multi-label); for cross-entropy use train.classWeights');
  const check = (w: number[], key: string): number[] => {
    if (w.length !== k) throw new UserError(`train.${key}: ${w.length} weights for ${k} classes (${dataset.classes.join(', ')})`);
    return w;
  };
  if (config.train.loss === 'focal') {
    if (classWeights !== null || posWeight !== null)
      throw new UserError('train.loss: focal balances classes with train.focal.alpha; leave classWeights and posWeight null');
    const alpha = Array.isArray(focal.alpha) ? check(focal.alpha, 'focal.alpha') : focal.alpha;
    return lossName === 'bce'
      ? (l, t) => sigmoidFocalLoss(l, t, focal.gamma, alpha, labelSmoothing)
      : (l, t) => softmaxFocalLoss(l, t, focal.gamma, alpha, labelSmoothing);
  }
  if (classWeights !== null) {
    const labels = trainIndices.map((i) => dataset.samples[i].label!);
    const w = classWeights === 'balanced' ? balancedClassWeights(labels, dataset.classes) : check(classWeights, 'classWeights');
    return (l, t) => weightedSoftmaxCrossEntropy(l, t, w, labelSmoothing);
  }
  if (posWeight !== null) {
    const flags = trainIndices.flatMap((i) => dataset.samples[i].labels!);
    const w = posWeight === 'balanced' ? balancedPosWeight(flags, dataset.classes) : check(posWeight, 'posWeight');
    return (l, t) => bceWithLogitsPosWeight(l, t, w, labelSmoothing);
  }
  return lossFunction(lossName, labelSmoothing);
}
