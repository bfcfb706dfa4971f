import type { TopLevelSpec } from 'vega-lite';

/**
 * Named pieces of Vega-Lite's spec type, taken from the one type its package root exports
 * (its internal module paths are not a stable interface).
 */
export type ViewSpec = Extract<TopLevelSpec, { hconcat: unknown }>['hconcat'][number];
export type LayerMember = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];
