import * as path from 'path';
import { PredictReport } from './run';

const p3 = (v: number): string => v.toFixed(3);

/** A path as the user most likely typed it: relative to the working directory when inside it. */
function shown(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}

/** The plain-text report of `fundus-train predict`. */
export function formatPredictReport(report: PredictReport, cwd = process.cwd()): string {
  const lines: string[] = [];
  const epoch = report.epoch !== null ? ` (epoch ${report.epoch})` : '';
  const kind = report.probabilities === 'sigmoid' ? 'sigmoid probability per label (multi-label)' : 'softmax probabilities over the classes';
  const tta = report.tta.length > 1 ? `; TTA: mean over ${report.tta.join(', ')}` : '';
  lines.push(`${report.model}${epoch} from ${shown(report.checkpoint, cwd)}: ${kind}${tta}`);

  const ok = report.images.filter((i) => i.ok);
  if (ok.length > 0) {
    const multilabel = report.task === 'multilabel';
    const header = ['image', multilabel ? 'labels present' : 'top class', 'p', ...report.classes];
    const rows = ok.map((i) =>
      i.ok
        ? [
            shown(i.file, cwd),
            multilabel ? (i.positive ?? []).join('+') || '(none)' : i.top.class,
            p3(i.top.probability),
            ...report.classes.map((c) => p3(i.probabilities[c])),
          ]
        : [],
    );
    lines.push(...table([header, ...rows]));
  }
  const failed = report.images.filter((i) => !i.ok);
  const problems = [
    ...failed.map((i) => (i.ok ? '' : `  ${shown(i.file, cwd)}: ${i.error}`)),
    ...report.inputProblems.map((p) => `  ${p.file}: ${p.error}`),
  ];
  if (problems.length > 0) lines.push(`could not be read (${problems.length}):`, ...problems);

  if (report.patients.length > 0) {
    lines.push('', `patients (${report.patients.length}):`);
    for (const p of report.patients) {
      if (!p.ok) {
        lines.push(`  ${p.patient}: no result (${p.error})`);
        continue;
      }
      const eye = (file: string) => report.images.find((i) => i.file === file);
      const describe = (file: string) => {
        const e = eye(file);
        return e && e.ok ? `${e.top.class} ${p3(e.top.probability)}` : '?';
      };
      const labels = p.positive ? ` [labels present: ${p.positive.join(', ') || 'none'}]` : '';
      const from = p.result.eye === 'both' ? 'both eyes' : `${p.result.eye} eye`;
      lines.push(
        `  ${p.patient}: right ${describe(p.right)}, left ${describe(p.left)} -> patient: ${p.result.name} ${p3(p.result.probability)} (${from})${labels}`,
      );
      lines.push(`    ${p.levelText}`);
      if (p.referableGrade) lines.push(`    ${p.referableGrade.text}`);
      lines.push(`    ${p.referral.refer ? 'REFERRAL: ' : ''}${p.referral.text}`);
    }
    if (report.referralRule) lines.push(report.referralRule);
  }
  const lone = report.unpairedEyes;
  if (lone.length > 0) lines.push('', `no patient result (${lone.length}):`, ...lone.map((l) => `  ${shown(l.file, cwd)}: ${l.reason}`));
  const cams = ok.filter((i) => i.ok && i.cam);
  if (cams.length > 0) {
    const first = cams[0];
    const method = first.ok && first.cam ? first.cam.method : '';
    lines.push(
      `heatmaps (${method}, for each image's top class): ${cams.length} PNG files in ${shown(path.dirname(first.ok && first.cam ? first.cam.file : ''), cwd)}`,
    );
  }
  return lines.join('\n') + '\n';
}
