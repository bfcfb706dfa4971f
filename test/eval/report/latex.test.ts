import { computeMetrics, MetricsReport } from '../../../src/eval/compute-metrics';
import { bootstrapMetrics } from '../../../src/eval/compute-metrics';
import { escapeLatex, latexMetricsTable, latexRunsTable } from '../../../src/eval/report/latex';

test('escapes every LaTeX special character', () => {
  expect(escapeLatex('a_b & c% $5 #1 {x} ~y ^z \\w <>')).toBe(
    'a\\_b \\& c\\% \\$5 \\#1 \\{x\\} \\textasciitilde{}y \\textasciicircum{}z \\textbackslash{}w \\textless{}\\textgreater{}',
  );
  expect(escapeLatex('plain text 1.0')).toBe('plain text 1.0');
});

const classes = ['non_glaucoma', 'glaucoma'];
const labels = [0, 0, 0, 1, 1, 0, 1, 0, 0, 1];
const p = [0.1, 0.3, 0.6, 0.8, 0.4, 0.2, 0.9, 0.35, 0.15, 0.7];
const input = { task: 'binary' as const, classes, labels, probs: p.map((x) => [1 - x, x]) };
const report: MetricsReport = { ...computeMetrics(input), ci: bootstrapMetrics(input, { resamples: 50, seed: 0 }) };

test('one run: a booktabs table of the headline metrics with intervals', () => {
  const tex = latexMetricsTable(report, { label: 'tab:refuge' });
  const lines = tex.split('\n');
  expect(lines).toContain('\\toprule');
  expect(lines).toContain('\\midrule');
  expect(lines).toContain('\\bottomrule');
  expect(lines).toContain('\\label{tab:refuge}');
  expect(tex).toContain('Metric & Value [95\\% CI] \\\\');
  const auc = report.headline.macro_auc.value!.toFixed(3);
  const iv = report.ci!.intervals.macro_auc as { lo: number; hi: number };
  expect(lines).toContain(`Macro AUC & ${auc} [${iv.lo.toFixed(3)}, ${iv.hi.toFixed(3)}] \\\\`);
  expect(tex).toContain('Log loss ($\\downarrow$) &');
  expect(tex).toContain('non\\_glaucoma'); // class names escaped in the caption
  const rows = lines.filter((l) => l.endsWith('\\\\'));
  expect(rows).toHaveLength(1 + Object.keys(report.headline).length);
});

test('several runs: one row per run, escaped names, n/a for undefined values', () => {
  const noPositive = computeMetrics({
    task: 'binary',
    classes,
    labels: [0, 0],
    probs: [
      [0.8, 0.2],
      [0.4, 0.6],
    ],
  });
  const tex = latexRunsTable(
    [
      { name: 'vit_b16 & LP-FT', report },
      { name: 'effnet_b0 100%', report: noPositive },
    ],
    { caption: 'REFUGE test set' },
  );
  const lines = tex.split('\n');
  expect(lines).toContain('\\begin{tabular}{lrrrrrr}');
  expect(lines).toContain('Run & AUC & Sensitivity at specificity 0.85 & Accuracy & Sensitivity & Specificity & Weighted F1 \\\\');
  const runRows = lines.filter((l) => l.endsWith('\\\\')).slice(1);
  expect(runRows).toHaveLength(2);
  expect(runRows[0]).toMatch(/^vit\\_b16 \\& LP-FT & \d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\] & /);
  expect(runRows[1]).toMatch(/^effnet\\_b0 100\\% & n\/a & n\/a & 0\.500 & n\/a & 0\.500 & /);
  expect(tex).toContain('\\caption{REFUGE test set}');
  expect(latexRunsTable([{ name: 'a', report }], { metrics: ['brier'] })).toContain('Run & Brier score ($\\downarrow$) \\\\');
});
