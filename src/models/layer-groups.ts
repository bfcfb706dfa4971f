/**
 * Layer groups for layer-wise learning-rate decay, with the semantics of timm's `group_matcher` /
 * `group_with_matcher` (timm/models/_manipulate.py): each parameter name gets an ordinal made of its
 * group's index (stem 0, blocks 1), the numbers the pattern captures and the pattern's suffix; distinct
 * ordinals, sorted, are numbered 0, 1, ...; names no pattern matches (the head) come last; an ordinal
 * ending in MATCH_PREV_GROUP joins the group before it (timm puts the final norm with the last block so).
 */

/** One pattern of a group: names it matches, and numbers appended to the captured ones. */
export interface GroupPattern {
  pattern: RegExp;
  suffix?: number[];
}

/** timm's group_matcher dict: group name -> pattern(s), in order (stem, then blocks). */
export type GroupMatcher = Record<string, RegExp | GroupPattern[]>;

/** A suffix that merges a match into the group before it (timm's MATCH_PREV_GROUP). */
export const MATCH_PREV_GROUP = 99999;

function ordinal(name: string, matcher: GroupMatcher): number[] {
  let index = 0;
  for (const spec of Object.values(matcher)) {
    const patterns = spec instanceof RegExp ? [{ pattern: spec }] : spec;
    for (const { pattern, suffix } of patterns) {
      const m = pattern.exec(name);
      // Python's re.match anchors at the start; patterns here start with ^ for the same reason.
      if (m && m.index === 0)
        return [
          index,
          ...m
            .slice(1)
            .filter((g) => g !== undefined)
            .map(Number),
          ...(suffix ?? []),
        ];
    }
    index++;
  }
  return [Infinity];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Layer id of every name (0 = first group), as timm's group_parameters(model, matcher, reverse=True). */
export function groupLayers(names: string[], matcher: GroupMatcher): Map<string, number> {
  const byOrdinal = new Map<string, { ord: number[]; names: string[] }>();
  for (const name of names) {
    const ord = ordinal(name, matcher);
    const key = ord.join(',');
    const entry = byOrdinal.get(key) ?? { ord, names: [] };
    entry.names.push(name);
    byOrdinal.set(key, entry);
  }
  const out = new Map<string, number>();
  let id = -1;
  for (const { ord, names: group } of [...byOrdinal.values()].sort((a, b) => compare(a.ord, b.ord))) {
    if (id < 0 || ord[ord.length - 1] !== MATCH_PREV_GROUP) id++;
    for (const n of group) out.set(n, id);
  }
  return out;
}
