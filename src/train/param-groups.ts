import { ClassifierModel } from '../models/classifier';
import { VisionTransformer } from '../models/vit';
import { ParamGroupEntry } from './optimizer';

/**
 * Parameters never weight-decayed, as timm does: 1-D tensors (biases, norm scales), ViT's token
 * embeddings, and Swin V2's attention temperature and position-bias MLP.
 */
function decays(name: string, rank: number): boolean {
  return rank > 1 && !/(^|\.)(cls_token|pos_embed|dist_token|reg_token)$/.test(name) && !/(logit_scale|cpb_mlp)/.test(name);
}

/**
 * The depth of a ViT parameter for layer-wise decay: embeddings 0, block i → i + 1, the rest (final
 * norm, head) depth + 1 (BEiT / RETFound's recipe).
 */
export function vitLayerId(name: string, depth: number): number {
  if (/^(cls_token|pos_embed|patch_embed|reg_token)/.test(name)) return 0;
  const m = /^blocks\.(\d+)\./.exec(name);
  if (m) return Number(m[1]) + 1;
  return depth + 1;
}

export interface ParamGroupOptions {
  /** Only the classifier trains (linear probing). */
  classifierOnly: boolean;
  /** Layer-wise learning-rate decay (ViT only); null = off. */
  layerDecay: number | null;
}

/** The trained variables of the model with their learning-rate scale and decay flag. */
export function paramGroups(model: ClassifierModel, options: ParamGroupOptions): ParamGroupEntry[] {
  const head = `${model.classifierName}.`;
  const depth = model instanceof VisionTransformer ? model.blocks.length : 0;
  const useLayerDecay = options.layerDecay !== null && model instanceof VisionTransformer;
  return model
    .namedVariables()
    .filter((v) => !v.isBuffer && (!options.classifierOnly || v.name.startsWith(head)))
    .map((v) => ({
      name: v.name,
      variable: v.variable,
      lrScale: useLayerDecay ? options.layerDecay! ** (depth + 1 - vitLayerId(v.name, depth)) : 1,
      decay: decays(v.name, v.variable.rank),
    }));
}
