import type { TopLevelSpec } from 'vega-lite';
import type { MetricsReport } from '../compute-metrics';
import { isDefined } from '../metric';
import { PlotOptions, renderVegaLite, RenderOptions } from './render';
import type { LayerMember } from './spec-types';
import { categoryScheme } from './theme';

export const ROC_SIZE: RenderOptions = { width: 760, height: 580, scale: 2 };

const PLOT = { width: 440, height: 440 };

/** A little room beyond [0, 1], so that a curve along an edge (AUC 1) is not hidden by the frame. */
const RATE_SCALE = { domain: [-0.02, 1.02], nice: false, zero: false };
const RATE_TICKS = Array.from({ length: 11 }, (_, i) => i / 10);

/** Legend entry of one class: its name and AUC, or that the AUC is undefined. */
function legendLabel(name: string, auc: MetricsReport['perClass'][number]['auc']): string {
  return isDefined(auc) ? `${name} (AUC ${auc.value.toFixed(3)})` : `${name} (AUC undefined)`;
}

/**
 * Classes whose curve is drawn. Binary: the positive class only (the negative class's curve
 * is the same curve mirrored and has the same AUC); otherwise every class or label.
 */
function drawnClasses(report: MetricsReport): number[] {
  return report.task === 'binary' ? [1] : report.classes.map((_, c) => c);
}

/**
 * Vega-Lite spec of the ROC curves of a report computed with `curves: true`: one line per
 * class (one-vs-rest) or label, legend with the class name and its AUC, the chance diagonal.
 * A class without a curve (absent, or present in every case) stays in the legend marked
 * "AUC undefined", and the subtitle gives the reason. Binary: the positive class's curve and
 * the operating point at the report's fixed specificity.
 */
export function rocSpec(report: MetricsReport, options: { title?: string } = {}): TopLevelSpec {
  const roc = report.curves?.roc;
  if (!roc) throw new Error('internal: the metrics report has no ROC curves (compute it with curves: true)');
  const drawn = drawnClasses(report);
  const labels = drawn.map((c) => legendLabel(report.classes[c], report.perClass[c].auc));
  const points: { fpr: number; tpr: number; order: number; label: string }[] = [];
  const notes: string[] = [];
  drawn.forEach((c, i) => {
    const curve = roc[c];
    const auc = report.perClass[c].auc;
    if (curve) curve.fpr.forEach((fpr, k) => points.push({ fpr, tpr: curve.tpr[k], order: k, label: labels[i] }));
    else notes.push(isDefined(auc) ? `no curve for "${report.classes[c]}"` : `not drawn: ${auc.reason}`);
  });
  const unit = report.task === 'multilabel' ? 'label' : 'class';
  const what =
    report.task === 'binary'
      ? `positive class "${report.classes[1]}"`
      : `one line per ${unit}${report.task === 'multiclass' ? ' (one-vs-rest)' : ''}`;
  const subtitle = [`${report.n} cases; ${what}; dashed: chance`, ...notes];

  const layers: LayerMember[] = [
    {
      data: { values: [{ x: 0, y: 0, x2: 1, y2: 1 }] },
      mark: { type: 'rule', strokeDash: [6, 5], color: '#999', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'y', type: 'quantitative' },
        x2: { field: 'x2' },
        y2: { field: 'y2' },
      },
    },
    {
      data: { values: points },
      mark: { type: 'line', strokeWidth: 2.5 },
      encoding: {
        x: {
          field: 'fpr',
          type: 'quantitative',
          title: 'False positive rate (1 − specificity)',
          scale: RATE_SCALE,
          axis: { values: RATE_TICKS, format: '.1f' },
        },
        y: {
          field: 'tpr',
          type: 'quantitative',
          title: 'True positive rate (sensitivity)',
          scale: RATE_SCALE,
          axis: { values: RATE_TICKS, format: '.1f' },
        },
        order: { field: 'order', type: 'quantitative' },
        color: {
          field: 'label',
          type: 'nominal',
          title: report.task === 'multilabel' ? 'Label' : 'Class',
          // the domain lists every class, so one without a curve still has its legend entry
          scale: { domain: labels, scheme: categoryScheme(labels.length) },
          legend: { orient: 'right', symbolType: 'stroke', symbolSize: 300 },
        },
      },
    },
  ];
  const sens = report.headline.sensitivity_at_specificity;
  const spec = report.settings.specificity;
  if (report.task === 'binary' && sens && isDefined(sens) && spec !== undefined) {
    const point = { fpr: 1 - spec, tpr: sens.value, text: `sensitivity ${sens.value.toFixed(3)} at specificity ${spec}` };
    layers.push({
      data: { values: [point] },
      layer: [
        { mark: { type: 'point', shape: 'circle', size: 90, filled: true, color: '#000' } },
        { mark: { type: 'text', align: 'left', dx: 8, dy: 14, fontSize: 12 }, encoding: { text: { field: 'text' } } },
      ],
      encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: options.title ?? 'ROC curves', subtitle },
    ...PLOT,
    layer: layers,
  };
}

/** PNG of the ROC curves (see rocSpec). */
export function renderRoc(report: MetricsReport, options: PlotOptions = {}): Promise<Buffer> {
  return renderVegaLite(rocSpec(report, options), options.size ?? ROC_SIZE);
}
