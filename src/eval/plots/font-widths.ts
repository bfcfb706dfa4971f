import * as vega from 'vega';

/**
 * Advance widths in em of the printable ASCII characters (space to '~') in DejaVu Sans, the
 * face fontconfig gives for sans-serif on Debian, regular then bold. Measured on this
 * machine through sharp's text renderer (pango): width of "H" + 40 copies + "H" minus "HH".
 */
const REGULAR = [
  0.32, 0.4, 0.46, 0.84, 0.64, 0.95, 0.78, 0.27, 0.39, 0.39, 0.5, 0.84, 0.32, 0.36, 0.32, 0.34, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64, 0.64,
  0.64, 0.34, 0.34, 0.84, 0.84, 0.84, 0.53, 1, 0.709, 0.69, 0.7, 0.77, 0.63, 0.58, 0.77, 0.75, 0.29, 0.29, 0.66, 0.56, 0.86, 0.75, 0.79, 0.6, 0.79,
  0.69, 0.63, 0.591, 0.73, 0.68, 0.99, 0.69, 0.61, 0.69, 0.39, 0.34, 0.39, 0.84, 0.5, 0.5, 0.61, 0.63, 0.55, 0.63, 0.62, 0.345, 0.63, 0.63, 0.28,
  0.28, 0.58, 0.28, 0.97, 0.63, 0.61, 0.63, 0.63, 0.39, 0.52, 0.39, 0.63, 0.59, 0.82, 0.59, 0.59, 0.52, 0.64, 0.34, 0.64, 0.84,
];
const BOLD = [
  0.35, 0.46, 0.52, 0.84, 0.7, 1, 0.87, 0.31, 0.46, 0.46, 0.52, 0.84, 0.38, 0.42, 0.38, 0.37, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.4,
  0.4, 0.84, 0.84, 0.84, 0.58, 1, 0.77, 0.76, 0.73, 0.83, 0.68, 0.68, 0.82, 0.84, 0.37, 0.37, 0.77, 0.64, 1, 0.84, 0.85, 0.73, 0.85, 0.77, 0.681,
  0.709, 0.81, 0.77, 1.1, 0.77, 0.72, 0.73, 0.46, 0.37, 0.46, 0.84, 0.5, 0.5, 0.67, 0.72, 0.59, 0.72, 0.68, 0.405, 0.72, 0.71, 0.34, 0.34, 0.67, 0.34,
  1.04, 0.71, 0.69, 0.72, 0.72, 0.49, 0.6, 0.48, 0.71, 0.65, 0.92, 0.65, 0.65, 0.58, 0.71, 0.37, 0.71, 0.84,
];
/** Characters outside the table (accents, arrows, other scripts): a typical lowercase width. */
const OTHER = { regular: 0.62, bold: 0.7 };

/** The text-mark fields vega passes to a width function. */
interface TextItem {
  fontSize?: number | null;
  fontWeight?: string | number | null;
}

function isBold(weight: TextItem['fontWeight']): boolean {
  if (weight === 'bold' || weight === 'bolder') return true;
  return Number(weight) >= 600;
}

/** Width in pixels of `text` set in the item's font size and weight. */
export function textWidth(item: TextItem, text: unknown): number {
  const s = text == null ? '' : String(text).trim();
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const bold = isBold(item.fontWeight);
  const table = bold ? BOLD : REGULAR;
  let em = 0;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    em += code >= 32 && code < 127 ? table[code - 32] : bold ? OTHER.bold : OTHER.regular;
  }
  return em * size;
}

interface VegaTextMetrics {
  width: (item: TextItem, text: unknown) => number;
}

/**
 * Vega lays out axes, legends and titles by the width of their text; without a canvas it
 * guesses 0.8 em per character, which leaves wide gaps and makes layouts miss their size.
 * Vega calls a replaced `textMetrics.width` for every measurement (its documented hook for
 * headless renderers), so this installs the table above, once, for the whole process.
 */
export function useFontTableForTextWidths(): void {
  const metrics = (vega as unknown as { textMetrics?: VegaTextMetrics }).textMetrics;
  if (!metrics || typeof metrics.width !== 'function') throw new Error('internal: vega exports no textMetrics.width to replace');
  metrics.width = textWidth;
}
