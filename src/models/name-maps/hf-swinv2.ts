import { NameMap } from '../load-weights';
import { StateDict } from '../weights/tensor';
import { concatRows, detectHfPrefix, QkvParts } from './hf-common';

/** Per-block renames from transformers' Swinv2Layer to timm's SwinTransformerV2Block. */
const BLOCK_RULES: [RegExp, string][] = [
  [/^attention\.self\.logit_scale$/, 'attn.logit_scale'],
  [/^attention\.self\.continuous_position_bias_mlp\.([02])\.(weight|bias)$/, 'attn.cpb_mlp.$1.$2'],
  [/^attention\.output\.dense\.(weight|bias)$/, 'attn.proj.$1'],
  [/^layernorm_before\.(weight|bias)$/, 'norm1.$1'],
  [/^layernorm_after\.(weight|bias)$/, 'norm2.$1'],
  [/^intermediate\.dense\.(weight|bias)$/, 'mlp.fc1.$1'],
  [/^output\.dense\.(weight|bias)$/, 'mlp.fc2.$1'],
];

const TOP_RULES: [RegExp, string][] = [
  [/^embeddings\.patch_embeddings\.projection\.(weight|bias)$/, 'patch_embed.proj.$1'],
  [/^embeddings\.norm\.(weight|bias)$/, 'patch_embed.norm.$1'],
  [/^layernorm\.(weight|bias)$/, 'norm.$1'],
];

/** Computed, not learned (timm and transformers rebuild them), and the pretraining-only mask token. */
const DROPPED = [/\.attention\.self\.(relative_coords_table|relative_position_index)$/, /^embeddings\.mask_token$/];

/**
 * Hugging Face transformers Swinv2 (`swinv2.encoder.layers.N.blocks.M.attention.self.query...`) names →
 * timm's SwinTransformerV2 names. transformers puts patch merging at the end of stage N, timm at the start
 * of stage N+1; query/key/value become timm's qkv (no bias) plus q_bias and v_bias.
 */
export const hfSwinv2NameMap: NameMap = (dict) => {
  const prefix = detectHfPrefix(dict, ['swinv2.', ''], 'embeddings.patch_embeddings.projection.weight', 'encoder.layers.');
  if (prefix === null) return null;
  const out: StateDict = new Map();
  const qkv = new QkvParts();
  for (const [name, tensor] of dict) {
    if (!name.startsWith(prefix)) {
      const head = /^classifier\.(weight|bias)$/.exec(name);
      out.set(head ? `head.fc.${head[1]}` : name, tensor);
      continue;
    }
    const rest = name.slice(prefix.length);
    if (DROPPED.some((re) => re.test(rest))) continue;
    const down = /^encoder\.layers\.(\d+)\.downsample\.(reduction\.weight|norm\.weight|norm\.bias)$/.exec(rest);
    if (down) {
      out.set(`layers.${Number(down[1]) + 1}.downsample.${down[2]}`, tensor);
      continue;
    }
    const block = /^encoder\.layers\.(\d+)\.blocks\.(\d+)\.(.+)$/.exec(rest);
    if (block) {
      const [, stage, index, key] = block;
      const target = `layers.${stage}.blocks.${index}.attn`;
      const part = /^attention\.self\.(query|key|value)\.(weight|bias)$/.exec(key);
      if (part) {
        qkv.add(target, `${part[1]}.${part[2]}`, name, tensor);
        continue;
      }
      const rule = BLOCK_RULES.find(([re]) => re.test(key));
      out.set(rule ? `layers.${stage}.blocks.${index}.${key.replace(rule[0], rule[1])}` : name, tensor);
      continue;
    }
    const rule = TOP_RULES.find(([re]) => re.test(rest));
    out.set(rule ? rest.replace(rule[0], rule[1]) : name, tensor);
  }
  for (const [target, parts] of qkv.entries()) {
    const weights = ['query', 'key', 'value'].map((r) => parts.get(`${r}.weight`));
    if (weights.every((p) => p)) {
      out.set(
        `${target}.qkv.weight`,
        concatRows(
          weights.map((p) => p!.tensor),
          `${target}.qkv.weight`,
        ),
      );
    } else {
      for (const p of weights) if (p) out.set(p.name, p.tensor);
    }
    // timm's q_bias / v_bias; a key bias has no place in timm's model and stays unexpected.
    const renamed: Record<string, string> = { 'query.bias': 'q_bias', 'value.bias': 'v_bias' };
    for (const [role, p] of parts) {
      if (role.endsWith('.weight')) continue;
      out.set(renamed[role] ? `${target}.${renamed[role]}` : p.name, p.tensor);
    }
  }
  return out;
};
