import { computeMetrics, MetricsReport } from '../../src/eval/compute-metrics';
import { LOWER_IS_BETTER, METRICS, metricName, metricsForTask, readMetric, SUMMARY_METRICS, TABLE_METRICS } from '../../src/eval/metric-registry';

const binary = computeMetrics({
  task: 'binary',
  classes: ['normal', 'glaucoma'],
  labels: [0, 1, 0, 1],
  probs: [
    [0.8, 0.2],
    [0.3, 0.7],
    [0.4, 0.6],
    [0.9, 0.1],
  ],
});
const graded = computeMetrics({
  task: 'multiclass',
  classes: ['0', '1', '2'],
  labels: [0, 1, 2, 1, 0, 2],
  probs: [
    [0.7, 0.2, 0.1],
    [0.2, 0.5, 0.3],
    [0.1, 0.2, 0.7],
    [0.3, 0.4, 0.3],
    [0.6, 0.3, 0.1],
    [0.2, 0.3, 0.5],
  ],
  ordinal: { referableFrom: 1 },
});
const multilabel = computeMetrics({
  task: 'multilabel',
  classes: ['a', 'b'],
  targets: [
    [1, 0],
    [0, 1],
    [1, 1],
    [0, 0],
  ],
  probs: [
    [0.9, 0.2],
    [0.1, 0.8],
    [0.6, 0.4],
    [0.3, 0.3],
  ],
});
const reports: [string, MetricsReport][] = [
  ['binary', binary],
  ['multiclass', graded],
  ['multilabel', multilabel],
];

describe('the metric registry', () => {
  test.each(reports)('lists exactly the headline keys a %s report has, in report order', (_task, report) => {
    const keys = metricsForTask(report.task).map((m) => m.key);
    // The referable AUC needs graded classes: the binary report here has none.
    const expected = report.settings.referableFrom === undefined ? keys.filter((k) => k !== 'referable_auc') : keys;
    expect(Object.keys(report.headline)).toEqual(expected);
    for (const k of expected) expect(readMetric(report, k)).toBe(report.headline[k]);
  });

  test('directions: lower is better for the calibration and loss-like metrics only', () => {
    expect([...LOWER_IS_BETTER].sort()).toEqual(['brier', 'ece', 'hamming_loss', 'log_loss']);
    expect(new Set(METRICS.map((m) => m.key)).size).toBe(METRICS.length);
  });

  test('labels, with the settings a value depends on', () => {
    expect(metricName('kappa_quadratic')).toBe('Quadratic kappa');
    expect(metricName('sensitivity_at_specificity', binary)).toBe('Sensitivity at specificity 0.85');
    expect(metricName('referable_auc', graded)).toBe('Referable AUC (grade >= 1)');
    expect(metricName('not_a_metric')).toBe('not_a_metric');
  });

  test("the tables' and the summary's metrics are registered ones of their task", () => {
    for (const [task, keys] of Object.entries(TABLE_METRICS)) {
      const known = metricsForTask(task as 'binary').map((m) => m.key);
      for (const k of keys) expect({ task, k, known: known.includes(k) }).toEqual({ task, k, known: true });
    }
    for (const k of SUMMARY_METRICS) expect(METRICS.some((m) => m.key === k)).toBe(true);
  });
});
