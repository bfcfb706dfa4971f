import { UserError } from '../../util/errors';
import { HostTensor, StateDict } from '../weights/tensor';

/**
 * The prefix (e.g. "vit.", "swinv2.", or "" for a bare backbone) under which `dict` holds a Hugging Face
 * transformers model whose keys include `marker` and at least one key starting with `layersPrefix`;
 * null when the dict is not in that scheme.
 */
export function detectHfPrefix(dict: StateDict, prefixes: readonly string[], marker: string, layersPrefix: string): string | null {
  for (const prefix of prefixes) {
    if (!dict.has(prefix + marker)) continue;
    for (const name of dict.keys()) if (name.startsWith(prefix + layersPrefix)) return prefix;
  }
  return null;
}

/** Concatenates tensors along their first axis (PyTorch's torch.cat(dim=0)), e.g. q, k, v into one qkv. */
export function concatRows(parts: HostTensor[], what: string): HostTensor {
  const tail = parts[0].shape.slice(1).join(',');
  for (const p of parts) {
    if (p.dtype !== 'float32' || p.shape.slice(1).join(',') !== tail) {
      throw new UserError(
        `${what}: cannot concatenate ${parts.map((q) => `${q.dtype} [${q.shape.join(', ')}]`).join(', ')}; the weights are not a consistent checkpoint`,
      );
    }
  }
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data as Float32Array, offset);
    offset += p.data.length;
  }
  return { dtype: 'float32', shape: [parts.reduce((n, p) => n + p.shape[0], 0), ...parts[0].shape.slice(1)], data };
}

/**
 * Separate query / key / value projections of one attention layer, gathered while renaming, then fused
 * into timm's layout. `original` keeps their source names, so that an incomplete set stays visible (as
 * unexpected tensors) to the strict loader instead of vanishing.
 */
export class QkvParts {
  private readonly parts = new Map<string, Map<string, { name: string; tensor: HostTensor }>>();

  add(target: string, role: string, name: string, tensor: HostTensor): void {
    let m = this.parts.get(target);
    if (!m) this.parts.set(target, (m = new Map()));
    m.set(role, { name, tensor });
  }

  /** For each attention layer: its parts by role ("query.weight", "value.bias", ...). */
  entries(): [string, Map<string, { name: string; tensor: HostTensor }>][] {
    return [...this.parts];
  }
}
