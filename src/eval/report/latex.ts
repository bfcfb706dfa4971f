import type { MetricsReport } from '../compute-metrics';
import { isDefined } from '../metric';
import { LOWER_IS_BETTER, metricName, TABLE_METRICS } from '../metric-registry';

/** Characters with a meaning in LaTeX text, and how to print them literally. */
const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '<': '\\textless{}',
  '>': '\\textgreater{}',
};

/** Escapes text (run names, class names) for LaTeX text mode. */
export function escapeLatex(text: string): string {
  return text.replace(/[\\&%$#_{}~^<>]/g, (ch) => LATEX_SPECIALS[ch]);
}

export interface LatexTableOptions {
  caption?: string;
  label?: string;
  /** Headline keys to show, in order (default: all for one run, a short list per task for several). */
  metrics?: readonly string[];
  /** Decimals (default 3). */
  digits?: number;
}

/** "0.912 [0.881, 0.940]" when the report has an interval, "0.912" otherwise, "n/a" when undefined. */
export function valueCell(report: MetricsReport, key: string, digits: number): string {
  const m = report.headline[key];
  if (m === undefined) return '--';
  if (!isDefined(m)) return 'n/a';
  const iv = report.ci?.intervals[key];
  const value = m.value.toFixed(digits);
  return iv && iv.lo !== null ? `${value} [${iv.lo.toFixed(digits)}, ${iv.hi.toFixed(digits)}]` : value;
}

function metricHeader(key: string, report: MetricsReport | undefined): string {
  return escapeLatex(metricName(key, report)) + (LOWER_IS_BETTER.has(key) ? ' ($\\downarrow$)' : '');
}

function ciNote(reports: readonly MetricsReport[]): string {
  const ci = reports.find((r) => r.ci)?.ci;
  if (!ci) return '';
  const unit = ci.unit === 'group' ? 'patients' : 'images';
  return ` Values with ${Math.round(ci.level * 100)}\\% percentile bootstrap confidence intervals (${ci.resamples} resamples of ${unit}).`;
}

function wrapTable(tabular: string[], options: LatexTableOptions, defaultCaption: string): string {
  const lines = ['% requires \\usepackage{booktabs}', '\\begin{table}[t]', '\\centering', ...tabular];
  lines.push(`\\caption{${options.caption ?? defaultCaption}}`);
  if (options.label) lines.push(`\\label{${options.label}}`);
  lines.push('\\end{table}');
  return lines.join('\n') + '\n';
}

/** One run: a booktabs table with one row per headline metric, value [lo, hi]. */
export function latexMetricsTable(report: MetricsReport, options: LatexTableOptions = {}): string {
  const digits = options.digits ?? 3;
  const keys = options.metrics ?? Object.keys(report.headline);
  const ciHeader = report.ci ? ` [${Math.round(report.ci.level * 100)}\\% CI]` : '';
  const tabular = [
    '\\begin{tabular}{lr}',
    '\\toprule',
    `Metric & Value${ciHeader} \\\\`,
    '\\midrule',
    ...keys.map((k) => `${metricHeader(k, report)} & ${valueCell(report, k, digits)} \\\\`),
    '\\bottomrule',
    '\\end{tabular}',
  ];
  const what = `${report.task}, ${report.classes.map(escapeLatex).join(', ')}; ${report.n} images`;
  return wrapTable(tabular, options, `Test metrics (${what}).${ciNote([report])}`);
}

/** Several runs: one row per run, one column per metric. */
export function latexRunsTable(runs: readonly { name: string; report: MetricsReport }[], options: LatexTableOptions = {}): string {
  if (runs.length === 0) throw new Error('latexRunsTable needs at least one run');
  const digits = options.digits ?? 3;
  let keys = options.metrics;
  if (!keys) {
    const union: string[] = [];
    for (const { report } of runs) {
      for (const k of TABLE_METRICS[report.task]) if (!union.includes(k) && report.headline[k] !== undefined) union.push(k);
    }
    keys = union;
  }
  const first = runs[0].report;
  const tabular = [
    `\\begin{tabular}{l${'r'.repeat(keys.length)}}`,
    '\\toprule',
    `Run & ${keys.map((k) => metricHeader(k, first)).join(' & ')} \\\\`,
    '\\midrule',
    ...runs.map(({ name, report }) => `${escapeLatex(name)} & ${keys.map((k) => valueCell(report, k, digits)).join(' & ')} \\\\`),
    '\\bottomrule',
    '\\end{tabular}',
  ];
  return wrapTable(tabular, options, `Comparison of ${runs.length} runs.${ciNote(runs.map((r) => r.report))}`);
}
