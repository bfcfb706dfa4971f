import { NameMap } from '../load-weights';
import { StateDict } from '../weights/tensor';
import { concatRows, detectHfPrefix, QkvParts } from './hf-common';

/** Per-layer renames from transformers' ViTLayer / Dinov2Layer to timm's Block. */
const LAYER_RULES: [RegExp, string][] = [
  [/^attention\.output\.dense\.(weight|bias)$/, 'attn.proj.$1'],
  // ViT
  [/^layernorm_before\.(weight|bias)$/, 'norm1.$1'],
  [/^layernorm_after\.(weight|bias)$/, 'norm2.$1'],
  [/^intermediate\.dense\.(weight|bias)$/, 'mlp.fc1.$1'],
  [/^output\.dense\.(weight|bias)$/, 'mlp.fc2.$1'],
  // DINOv2
  [/^norm([12])\.(weight|bias)$/, 'norm$1.$2'],
  [/^mlp\.(fc[12])\.(weight|bias)$/, 'mlp.$1.$2'],
  [/^layer_scale([12])\.lambda1$/, 'ls$1.gamma'],
];

const TOP_RULES: [RegExp, string][] = [
  [/^embeddings\.cls_token$/, 'cls_token'],
  [/^embeddings\.position_embeddings$/, 'pos_embed'],
  [/^embeddings\.patch_embeddings\.projection\.(weight|bias)$/, 'patch_embed.proj.$1'],
  [/^layernorm\.(weight|bias)$/, 'norm.$1'],
];

/**
 * Not part of timm's ViT: the masked-image-modelling token (pretraining only) and ViTModel's pooler
 * (a tanh layer on the class token that image classification does not use).
 */
const DROPPED = [/^embeddings\.mask_token$/, /^pooler\.dense\.(weight|bias)$/];

/**
 * Hugging Face transformers ViT (`vit.encoder.layer.N.attention.attention.query...`) and DINOv2
 * (`dinov2.` / bare `encoder.layer.N.layer_scale1.lambda1`, ...) names → timm's VisionTransformer names.
 * Separate query/key/value projections are concatenated into timm's fused qkv.
 */
export const hfVitNameMap: NameMap = (dict) => {
  const prefix = detectHfPrefix(dict, ['vit.', 'dinov2.', ''], 'embeddings.patch_embeddings.projection.weight', 'encoder.layer.');
  if (prefix === null) return null;
  const out: StateDict = new Map();
  const qkv = new QkvParts();
  for (const [name, tensor] of dict) {
    if (!name.startsWith(prefix)) {
      const head = /^classifier\.(weight|bias)$/.exec(name);
      out.set(head ? `head.${head[1]}` : name, tensor);
      continue;
    }
    const rest = name.slice(prefix.length);
    if (DROPPED.some((re) => re.test(rest))) continue;
    const layer = /^encoder\.layer\.(\d+)\.(.+)$/.exec(rest);
    if (layer) {
      const [, index, key] = layer;
      const part = /^attention\.attention\.(query|key|value)\.(weight|bias)$/.exec(key);
      if (part) {
        qkv.add(`blocks.${index}.attn.qkv`, `${part[1]}.${part[2]}`, name, tensor);
        continue;
      }
      const rule = LAYER_RULES.find(([re]) => re.test(key));
      out.set(rule ? `blocks.${index}.${key.replace(rule[0], rule[1])}` : name, tensor);
      continue;
    }
    const rule = TOP_RULES.find(([re]) => re.test(rest));
    out.set(rule ? rest.replace(rule[0], rule[1]) : name, tensor);
  }
  for (const [target, parts] of qkv.entries()) {
    for (const kind of ['weight', 'bias']) {
      const roles = ['query', 'key', 'value'].map((r) => parts.get(`${r}.${kind}`));
      if (roles.every((p) => p)) {
        out.set(
          `${target}.${kind}`,
          concatRows(
            roles.map((p) => p!.tensor),
            `${target}.${kind}`,
          ),
        );
      } else {
        // An incomplete set: leave what there is under its own names for the loader to report.
        for (const p of roles) if (p) out.set(p.name, p.tensor);
      }
    }
  }
  return out;
};
