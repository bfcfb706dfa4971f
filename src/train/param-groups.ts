import { ClassifierModel } from '../models/classifier';
import { ParamGroupEntry } from './optimizer';

export interface ParamGroupOptions {
  /** Only the classifier trains (linear probing). */
  classifierOnly: boolean;
  /** Layer-wise learning-rate decay; null = off. */
  layerDecay: number | null;
}

/**
 * The trained variables of the model with their learning-rate scale and decay flag, from the model's
 * hooks as timm's param_groups_layer_decay uses them: a parameter in layer group i of n trains at
 * layerDecay^(n - 1 - i) (the head at the full rate); biases and other 1-D tensors, and the model's
 * noWeightDecay() names, are never weight-decayed.
 */
export function paramGroups(model: ClassifierModel, options: ParamGroupOptions): ParamGroupEntry[] {
  const head = `${model.classifierName}.`;
  const noDecay = model.noWeightDecay();
  const top = model.numLayerGroups() - 1;
  return model
    .namedVariables()
    .filter((v) => !v.isBuffer && (!options.classifierOnly || v.name.startsWith(head)))
    .map((v) => ({
      name: v.name,
      variable: v.variable,
      lrScale: options.layerDecay !== null ? options.layerDecay ** (top - model.layerId(v.name)) : 1,
      decay: v.variable.rank > 1 && !noDecay.has(v.name),
    }));
}
