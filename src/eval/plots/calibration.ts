import type { TopLevelSpec } from 'vega-lite';
import type { MetricsReport } from '../compute-metrics';
import { isDefined } from '../metric';
import { PlotOptions, renderVegaLite, RenderOptions } from './render';

export const CALIBRATION_SIZE: RenderOptions = { width: 560, height: 650, scale: 2 };

const WIDTH = 460;

/**
 * Vega-Lite spec of the reliability diagram of a binary or multiclass report: per confidence
 * bin, the accuracy of the top-class prediction (bar over the bin) against the diagonal of
 * perfect calibration, the mean confidence as a point, and below it how many cases fall in
 * each bin. The title carries the ECE, computed over these same bins.
 */
export function calibrationSpec(report: MetricsReport, options: { title?: string } = {}): TopLevelSpec {
  const bins = report.calibration;
  if (!bins) throw new Error(`internal: a ${report.task} report has no calibration bins`);
  const filled = bins.filter((b) => b.count > 0);
  const ece = report.headline.ece;
  const eceText = ece && isDefined(ece) ? `ECE ${ece.value.toFixed(3)}` : 'ECE undefined';
  const x = {
    field: 'lower',
    type: 'quantitative' as const,
    title: null,
    scale: { domain: [0, 1] },
    axis: { tickCount: 10, labels: false },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: options.title ?? 'Reliability diagram',
      subtitle: [
        `${report.n} cases; ${eceText} over ${bins.length} equal-width bins of the top-class confidence`,
        'bars: accuracy in the bin; red points: mean confidence; dashed: perfect calibration',
      ],
    },
    vconcat: [
      {
        width: WIDTH,
        height: WIDTH * 0.8,
        layer: [
          {
            data: { values: [{ x: 0, y: 0, x2: 1, y2: 1 }] },
            mark: { type: 'rule', strokeDash: [6, 5], color: '#999', strokeWidth: 1.5 },
            encoding: {
              x: { field: 'x', type: 'quantitative', scale: { domain: [0, 1] } },
              y: { field: 'y', type: 'quantitative' },
              x2: { field: 'x2' },
              y2: { field: 'y2' },
            },
          },
          {
            data: { values: filled },
            mark: { type: 'rect', color: '#4c78a8', opacity: 0.75, stroke: 'white', strokeWidth: 1 },
            encoding: {
              x,
              x2: { field: 'upper' },
              y: { field: 'accuracy', type: 'quantitative', title: 'Accuracy in bin', scale: { domain: [0, 1] } },
              y2: { datum: 0 },
            },
          },
          {
            data: { values: filled },
            mark: { type: 'point', filled: true, color: '#e45756', size: 50 },
            encoding: {
              x: { field: 'confidence', type: 'quantitative' },
              y: { field: 'accuracy', type: 'quantitative' },
            },
          },
        ],
      },
      {
        width: WIDTH,
        height: 110,
        data: { values: bins },
        mark: { type: 'rect', color: '#9d9d9d', stroke: 'white', strokeWidth: 1 },
        encoding: {
          x: { field: 'lower', type: 'quantitative', title: 'Top-class confidence', scale: { domain: [0, 1] }, axis: { tickCount: 10 } },
          x2: { field: 'upper' },
          y: { field: 'count', type: 'quantitative', title: 'Cases', axis: { tickMinStep: 1, format: 'd' } },
          y2: { datum: 0 },
        },
      },
    ],
    spacing: 8,
  };
}

/** PNG of the reliability diagram (see calibrationSpec). */
export function renderCalibration(report: MetricsReport, options: PlotOptions = {}): Promise<Buffer> {
  return renderVegaLite(calibrationSpec(report, options), options.size ?? CALIBRATION_SIZE);
}
