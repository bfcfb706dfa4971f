import type { TopLevelSpec } from 'vega-lite';
import { isDefined, metricName } from '../eval';
import { renderVegaLite } from '../eval/plots';
import type { StudyAggregate } from './aggregate';

/**
 * The study's metrics across its combinations: one panel per metric, a point per combination at
 * the mean over its runs with a bar of ± 1 sd, and the pooled value as a diamond.
 */
export function aggregatePlotSpec(a: StudyAggregate): TopLevelSpec {
  const first = a.combinations[0].pooled;
  const values = a.combinations.flatMap((c) =>
    a.keys.map((key) => {
      const s = c.metrics.find((m) => m.key === key);
      const p = c.pooled.headline[key];
      const sd = s?.sd ?? 0;
      return {
        combination: c.combination,
        metric: metricName(key, first),
        mean: s?.mean ?? null,
        lo: s?.mean !== null && s?.mean !== undefined ? s.mean - sd : null,
        hi: s?.mean !== null && s?.mean !== undefined ? s.mean + sd : null,
        pooled: p && isDefined(p) ? p.value : null,
      };
    }),
  );
  const x = { field: 'combination', type: 'nominal', title: null, sort: a.combinations.map((c) => c.combination) } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Study ${a.plan.study}: mean ± sd over runs, pooled (diamond)`,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: a.keys.map((k) => metricName(k, first)) } },
    spec: {
      width: Math.max(120, 40 * a.combinations.length),
      height: 200,
      layer: [
        {
          mark: { type: 'rule', strokeWidth: 2 },
          encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'value', scale: { zero: false } }, y2: { field: 'hi' } },
        },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y: { field: 'mean', type: 'quantitative' } } },
        {
          mark: { type: 'point', shape: 'diamond', filled: false, size: 80, color: '#d62728' },
          encoding: { x, y: { field: 'pooled', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

export async function renderAggregatePlot(a: StudyAggregate): Promise<Buffer> {
  const width = Math.min(1600, Math.max(480, a.keys.length * Math.max(170, 50 * a.combinations.length + 70)));
  return renderVegaLite(aggregatePlotSpec(a), { width, height: 320 });
}
