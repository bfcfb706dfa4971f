import type { TopLevelSpec } from 'vega-lite';
import type { MetricsReport } from '../compute-metrics';
import { PlotOptions, renderVegaLite, RenderOptions } from './render';

export const CONFUSION_MATRIX_SIZE: RenderOptions = { width: 700, height: 540, scale: 2 };

/** Side of the matrix in CSS pixels, whatever the number of classes. */
const MATRIX_SIDE = 420;

interface Cell {
  actual: string;
  predicted: string;
  count: number;
  /** Share of the true class's cases in this cell (row-normalised), 0 for an empty row. */
  share: number;
  text: string;
}

/**
 * Vega-Lite spec of the confusion matrix of a binary or multiclass report: true class on
 * rows, predicted class on columns, the count in each cell. Cells are shaded by the share of
 * their row (the recall of the true class on the diagonal), so a rare class reads as clearly
 * as a common one; the share is printed under the count when the cells are large enough.
 */
export function confusionMatrixSpec(report: MetricsReport, options: { title?: string } = {}): TopLevelSpec {
  const cm = report.confusionMatrix;
  if (!cm) throw new Error(`internal: a ${report.task} report has no confusion matrix`);
  const k = report.classes.length;
  const cellSide = MATRIX_SIDE / k;
  const showShare = cellSide >= 60;
  const fontSize = Math.max(9, Math.min(18, Math.floor(cellSide / 4)));
  const cells: Cell[] = [];
  cm.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = total ? count / total : 0;
      cells.push({
        actual: report.classes[i],
        predicted: report.classes[j],
        count,
        share,
        text: showShare && total ? `${count}\n${(100 * share).toFixed(1)}%` : String(count),
      });
    });
  });
  const classes = { sort: report.classes };
  // column names slant when side by side they would not fit the matrix width
  const longest = Math.max(...report.classes.map((c) => c.length));
  const slanted = longest * k > 60;
  const accuracy = report.headline.accuracy;
  const subtitle =
    `${report.n} cases; rows: true class, columns: predicted (argmax); shade: share of the row` +
    (accuracy && accuracy.value !== null ? `; accuracy ${accuracy.value.toFixed(3)}` : '');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: options.title ?? 'Confusion matrix', subtitle },
    width: MATRIX_SIDE,
    height: MATRIX_SIDE,
    data: { values: cells },
    encoding: {
      x: {
        field: 'predicted',
        type: 'nominal',
        title: 'Predicted class',
        ...classes,
        axis: { orient: 'bottom', labelAngle: slanted ? -35 : 0, labelAlign: slanted ? 'right' : 'center', ticks: false, domain: false },
      },
      y: { field: 'actual', type: 'nominal', title: 'True class', ...classes, axis: { ticks: false, domain: false } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'share',
            type: 'quantitative',
            title: 'Share of row',
            scale: { domain: [0, 1], scheme: 'blues' },
            legend: { format: '.0%', gradientLength: MATRIX_SIDE * 0.6 },
          },
        },
      },
      {
        // two lines are set from the anchor down: lift them by half a line to centre them
        mark: { type: 'text', fontSize, lineBreak: '\n', lineHeight: fontSize + 4, dy: showShare ? -(fontSize + 4) / 2 : 0 },
        encoding: {
          text: { field: 'text' },
          color: { condition: { test: 'datum.share > 0.55', value: 'white' }, value: '#111' },
        },
      },
    ],
    config: { axis: { grid: false, labelFontSize: 13, labelPadding: 6 } },
  };
}

/** PNG of the confusion matrix (see confusionMatrixSpec). */
export function renderConfusionMatrix(report: MetricsReport, options: PlotOptions = {}): Promise<Buffer> {
  return renderVegaLite(confusionMatrixSpec(report, options), options.size ?? CONFUSION_MATRIX_SIZE);
}
