import type { TopLevelSpec } from 'vega-lite';
import { PlotOptions, renderVegaLite, RenderOptions } from './render';
import type { LayerMember, ViewSpec } from './spec-types';
import { metricName } from '../metric-registry';

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

/** A figure of three panels side by side. */
export const TRAINING_CURVES_SIZE: RenderOptions = { width: 1280, height: 440, scale: 2 };

const PANEL = { width: 330, height: 250 };

/** One point of one series: epoch, value, series name. */
interface Point {
  epoch: number;
  value: number;
  series: string;
}

/** Series drawn per panel: record key and legend name, first key present wins per series. */
const LOSS_SERIES = [
  { keys: ['train_loss'], name: 'train loss' },
  { keys: ['val_loss'], name: 'validation loss' },
];
/** Headline metrics drawn in the metrics panel, named by the metric registry; a binary record's AUC may be "auc". */
const METRIC_SERIES = ['macro_auc', 'accuracy', 'subset_accuracy'].map((key) => ({
  keys: key === 'macro_auc' ? ['val_macro_auc', 'val_auc'] : [`val_${key}`],
  name: `val ${lowerFirst(metricName(key))}`,
}));

const names = (series: readonly { name: string }[]) => series.map((s) => s.name);

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function epochOf(record: Record<string, unknown>, index: number): number {
  if (!finite(record.epoch)) throw new Error(`internal: epoch record ${index} has no numeric "epoch"`);
  return record.epoch;
}

/** Points of the series whose values are finite numbers; null (undefined metric) and NaN are left out. */
function seriesPoints(records: readonly Record<string, unknown>[], series: readonly { keys: string[]; name: string }[]): Point[] {
  const points: Point[] = [];
  for (const s of series) {
    const key = s.keys.find((k) => records.some((r) => k in r));
    if (!key) continue;
    records.forEach((r, i) => {
      const v = r[key];
      if (finite(v)) points.push({ epoch: epochOf(r, i), value: v, series: s.name });
    });
  }
  return points;
}

/** Epochs where the phase changes (linear probe -> fine-tune): a line is drawn half an epoch before them. */
function phaseChanges(records: readonly Record<string, unknown>[]): { epoch: number; phase: string }[] {
  const changes: { epoch: number; phase: string }[] = [];
  for (let i = 1; i < records.length; i++) {
    const [before, after] = [records[i - 1].phase, records[i].phase];
    if (typeof after === 'string' && after !== before) {
      changes.push({ epoch: epochOf(records[i], i) - 0.5, phase: `${String(before)} \u2192 ${after}` });
    }
  }
  return changes;
}

/** Tick values of a log axis: powers of ten, with 2 and 5 times them when the data span under two decades. */
export function logTicks(values: readonly number[]): number[] {
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const steps = hi - lo < 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) for (const m of steps) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  return ticks.filter((t) => t <= 10 ** hi);
}

interface PanelOptions {
  yTitle: string;
  /** Series names in legend order (fixes their colours too). */
  series: string[];
  epochs: [number, number];
  /** Learning rate: log scale, drawn as steps (constant within an epoch). */
  lr?: boolean;
  /** With lr: the rate changes every step (lr_first/lr_last recorded); drawn as lines through them. */
  perStep?: boolean;
}

function panel(title: string, points: Point[], changes: { epoch: number; phase: string }[], options: PanelOptions): ViewSpec {
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'Epoch',
    scale: { domain: options.epochs, nice: false },
    axis: { tickMinStep: 1, format: 'd' },
  };
  const present = options.series.filter((s) => points.some((p) => p.series === s));
  const layers: LayerMember[] = [
    {
      data: { values: points },
      mark: {
        type: 'line',
        interpolate: options.lr && !options.perStep ? 'step-after' : 'linear',
        // markers only while they stay apart
        point: points.length > 120 ? false : { size: 30, filled: true },
      },
      encoding: {
        x,
        y: {
          field: 'value',
          type: 'quantitative',
          title: options.yTitle,
          scale: options.lr ? { type: 'log' } : { zero: false },
          axis: options.lr && points.length ? { values: logTicks(points.map((p) => p.value)), format: '.0e' } : {},
        },
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: present.length ? present : options.series },
          legend: present.length > 1 ? { orient: 'bottom', direction: 'horizontal' } : null,
        },
      },
    },
  ];
  if (changes.length) {
    layers.push({
      data: { values: changes },
      mark: { type: 'rule', strokeDash: [5, 4], color: '#777' },
      encoding: { x: { field: 'epoch', type: 'quantitative' } },
    });
  }
  return { title, ...PANEL, layer: layers, resolve: { scale: { color: 'independent' } } };
}

/**
 * Vega-Lite spec of the training curves from metrics.jsonl records: loss (train and
 * validation), validation macro AUC (and accuracy when recorded), learning rate on a log
 * scale. Metrics undefined at an epoch (null) are left out of their line; a dashed line marks
 * a phase change (linear probe -> fine-tune).
 */
export function trainingCurvesSpec(epochRecords: readonly object[], options: { title?: string } = {}): TopLevelSpec {
  const records = epochRecords as readonly Record<string, unknown>[];
  if (records.length === 0) throw new Error('internal: no epoch records to plot');
  const epochs = records.map(epochOf);
  // A per-step schedule records the rate of each epoch's first and last step: drawn at its middle and its end.
  const perStep = records.some((r) => finite(r.lr_first) && finite(r.lr_last));
  const span: [number, number] = [Math.min(...epochs) - (perStep ? 0.5 : 0), Math.max(Math.max(...epochs), Math.min(...epochs) + 1)];
  const changes = phaseChanges(records);
  const lrPoints = (r: Record<string, unknown>, i: number) =>
    perStep
      ? [
          { epoch: epochOf(r, i) - 0.5, value: r.lr_first },
          { epoch: epochOf(r, i), value: r.lr_last },
        ]
      : [{ epoch: epochOf(r, i), value: r.lr }];
  const lr = records.flatMap((r, i) =>
    lrPoints(r, i).flatMap((p) => (finite(p.value) && p.value > 0 ? [{ epoch: p.epoch, value: p.value, series: 'learning rate' }] : [])),
  );
  const notes: string[] = [`${records.length} epochs`];
  if (changes.length) notes.push(`dashed line: ${changes.map((c) => `${c.phase} at epoch ${c.epoch + 0.5}`).join(', ')}`);
  const lrDropped = records.length * (perStep ? 2 : 1) - lr.length;
  if (perStep) notes.push('learning rate: first and last step of each epoch');
  if (lrDropped) notes.push(`${lrDropped} ${perStep ? 'step value(s)' : 'epoch(s)'} without a positive learning rate not shown on the log scale`);
  const metrics = seriesPoints(records, METRIC_SERIES);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: options.title ?? 'Training curves', subtitle: notes.join('; ') },
    hconcat: [
      panel('Loss', seriesPoints(records, LOSS_SERIES), changes, { yTitle: 'Loss', series: names(LOSS_SERIES), epochs: span }),
      panel('Validation metrics', metrics, changes, { yTitle: 'Metric', series: names(METRIC_SERIES), epochs: span }),
      panel('Learning rate', lr, changes, { yTitle: 'Learning rate (log scale)', series: ['learning rate'], epochs: span, lr: true, perStep }),
    ],
    spacing: 40,
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  };
}

/** PNG of the training curves (see trainingCurvesSpec). */
export function renderTrainingCurves(epochRecords: readonly object[], options: PlotOptions = {}): Promise<Buffer> {
  return renderVegaLite(trainingCurvesSpec(epochRecords, options), options.size ?? TRAINING_CURVES_SIZE);
}
