import type { MetricsReport } from '../compute-metrics';
import { isDefined, Metric } from '../metric';
import { metricName, SUMMARY_METRICS } from '../metric-registry';

/** Marks a value that zero division set to 0. */
const ZERO_DIVISION_MARK = '*';

function cell(m: Metric, digits: number): string {
  if (!isDefined(m)) return 'n/a';
  const zeroed = m.note !== undefined && m.note.includes('zero division');
  return m.value.toFixed(digits) + (zeroed ? ZERO_DIVISION_MARK : '');
}

function padLeft(s: string, w: number): string {
  return s.length >= w ? s : ' '.repeat(w - s.length) + s;
}

function padRight(s: string, w: number): string {
  return s.length >= w ? s : s + ' '.repeat(w - s.length);
}

/** A zero-division mark leaves the number's column aligned with the others. */
function numberColumn(s: string, w: number): string {
  return s.endsWith(ZERO_DIVISION_MARK) ? padLeft(s, w + 1) : padLeft(s, w) + ' ';
}

/**
 * The classification report in scikit-learn's layout: precision, recall, F1 and support
 * per class, then accuracy (single-label) or micro average (multi-label), macro and
 * weighted averages. Values set to 0 by zero division carry a `*`.
 */
export function formatClassificationReport(report: MetricsReport, digits = 2): string {
  const avgNames = ['micro avg', 'macro avg', 'weighted avg', 'accuracy'];
  const nameWidth = Math.max(...report.classes.map((c) => c.length), ...avgNames.map((a) => a.length));
  const w = Math.max(9, digits + 6);
  const head = padRight('', nameWidth) + ['precision', 'recall', 'f1-score', 'support'].map((h) => padLeft(h, w) + ' ').join('');
  const line = (name: string, values: (string | null)[], support: number) =>
    padLeft(name, nameWidth) + values.map((v) => (v === null ? ' '.repeat(w + 1) : numberColumn(v, w))).join('') + padLeft(String(support), w);
  const out = [head.trimEnd(), ''];
  for (const r of report.perClass) {
    out.push(line(r.class, [cell(r.precision, digits), cell(r.recall, digits), cell(r.f1, digits)], r.support));
  }
  out.push('');
  const totalSupport = report.perClass.reduce((a, r) => a + r.support, 0);
  const { macro, weighted, micro } = report.averages;
  if (report.task === 'multilabel' && micro) {
    out.push(line('micro avg', [cell(micro.precision, digits), cell(micro.recall, digits), cell(micro.f1, digits)], totalSupport));
  } else {
    out.push(line('accuracy', [null, null, cell(report.headline.accuracy, digits)], report.n));
  }
  out.push(line('macro avg', [cell(macro.precision, digits), cell(macro.recall, digits), cell(macro.f1, digits)], totalSupport));
  out.push(line('weighted avg', [cell(weighted.precision, digits), cell(weighted.recall, digits), cell(weighted.f1, digits)], totalSupport));
  const zeroed = report.perClass.some((r) => [r.precision, r.recall, r.f1].some((m) => cell(m, digits).endsWith(ZERO_DIVISION_MARK)));
  if (zeroed) out.push('', `${ZERO_DIVISION_MARK} zero division, set to 0 (scikit-learn zero_division=0)`);
  return out.map((l) => l.trimEnd()).join('\n');
}

/** The confusion matrix with class names: rows are true classes, columns predicted ones. */
export function formatConfusionMatrix(report: MetricsReport): string {
  const cm = report.confusionMatrix;
  if (!cm) return '';
  const corner = 'true \\ predicted';
  const nameWidth = Math.max(corner.length, ...report.classes.map((c) => c.length));
  const colWidth = report.classes.map((c, j) => Math.max(c.length, ...cm.map((row) => String(row[j]).length)));
  const out = [padRight(corner, nameWidth) + report.classes.map((c, j) => '  ' + padLeft(c, colWidth[j])).join('')];
  cm.forEach((row, i) => {
    out.push(padRight(report.classes[i], nameWidth) + row.map((v, j) => '  ' + padLeft(String(v), colWidth[j])).join(''));
  });
  return out.join('\n');
}

/** Headline metrics, one per line, with the bootstrap interval when the report has one. */
export function formatHeadline(report: MetricsReport, digits = 4): string {
  const names = Object.keys(report.headline).map((k) => metricName(k, report));
  const width = Math.max(...names.map((n) => n.length));
  const ci = report.ci;
  const lines = Object.entries(report.headline).map(([key, m], i) => {
    const name = padRight(names[i], width);
    if (!isDefined(m)) return `${name}  n/a  (${m.reason})`;
    let s = `${name}  ${m.value.toFixed(digits)}`;
    const iv = ci?.intervals[key];
    if (iv) s += iv.lo === null ? '  [no interval]' : `  [${iv.lo.toFixed(digits)}, ${iv.hi.toFixed(digits)}]`;
    return s;
  });
  if (ci) {
    const unit = ci.unit === 'group' ? `${ci.units} patients (groups)` : `${ci.units} cases`;
    lines.push(
      '',
      `${Math.round(ci.level * 100)}% ${ci.method} intervals: ${ci.resamples} resamples of ${unit}, seed ${ci.seed}, ${ci.redrawn} redrawn (a class absent)`,
    );
  }
  return lines.join('\n');
}

/** Every note and undefined reason of the headline and per-class metrics, once each. */
export function collectNotes(report: MetricsReport): string[] {
  const notes = new Set<string>();
  const add = (key: string, m: Metric) => {
    if (!isDefined(m)) notes.add(`${key}: undefined, ${m.reason}`);
    else if (m.note) notes.add(`${key}: ${m.note}`);
  };
  for (const [k, m] of Object.entries(report.headline)) add(metricName(k, report), m);
  for (const r of report.perClass) {
    add(`${r.class} AUC`, r.auc);
    if (r.averagePrecision) add(`${r.class} AP`, r.averagePrecision);
  }
  for (const [k, iv] of Object.entries(report.ci?.intervals ?? {})) {
    if (iv.lo === null) notes.add(`${metricName(k, report)} interval: ${iv.reason}`);
    else if (iv.note) notes.add(`${metricName(k, report)} interval: ${iv.note}`);
  }
  for (const n of report.ci?.notes ?? []) notes.add(`bootstrap: ${n}`);
  return [...notes];
}

/** The full text report (report/report.txt and `score` output). */
export function formatTextReport(report: MetricsReport, options: { title?: string } = {}): string {
  const parts: string[] = [];
  if (options.title) parts.push(options.title, '='.repeat(options.title.length), '');
  parts.push(`${report.task}, ${report.classes.length} ${report.task === 'multilabel' ? 'labels' : 'classes'}, ${report.n} cases`, '');
  parts.push(formatHeadline(report), '');
  parts.push(formatClassificationReport(report), '');
  if (report.task === 'multilabel') {
    parts.push(
      'per label: ' +
        report.perClass
          .map((r) => `${r.class} AUC ${cell(r.auc, 4)}, AP ${r.averagePrecision ? cell(r.averagePrecision, 4) : 'n/a'}, threshold ${r.threshold}`)
          .join('; '),
      '',
    );
  } else {
    parts.push('per class AUC (one-vs-rest): ' + report.perClass.map((r) => `${r.class} ${cell(r.auc, 4)}`).join(', '), '');
    parts.push('confusion matrix', formatConfusionMatrix(report), '');
  }
  const notes = collectNotes(report);
  if (notes.length) parts.push('notes', ...notes.map((n) => `- ${n}`), '');
  parts.push('definitions', ...report.conventions.map((c) => `- ${c}`));
  return parts.join('\n') + '\n';
}

/**
 * A few lines for the console after each epoch: one per class (precision, recall, F1, AUC,
 * support), then the averages and the headline numbers that pick the best epoch.
 */
export function formatEpochReport(report: MetricsReport, digits = 3): string {
  const nameWidth = Math.max(5, ...report.classes.map((c) => c.length));
  const w = digits + 4;
  const cols = ['P', 'R', 'F1', 'AUC'];
  const out = [padRight('', nameWidth) + cols.map((c) => padLeft(c, w) + ' ').join('') + padLeft('n', w)];
  for (const r of report.perClass) {
    out.push(
      padRight(r.class, nameWidth) +
        [r.precision, r.recall, r.f1, r.auc].map((m) => numberColumn(cell(m, digits), w)).join('') +
        padLeft(String(r.support), w),
    );
  }
  const h = report.headline;
  const summary = SUMMARY_METRICS.filter((k) => h[k] !== undefined).map((k) => `${metricName(k)} ${cell(h[k], digits)}`);
  out.push(summary.join(' | '));
  return out.map((l) => l.trimEnd()).join('\n');
}
