import type { Config } from 'vega-lite';

/**
 * Font family written into the SVG. The generic family lets librsvg (sharp's SVG renderer)
 * take whatever sans-serif face fontconfig offers: DejaVu Sans on Debian, whose widths
 * font-widths.ts uses for the layout. A machine with no font at all draws empty boxes.
 */
export const PLOT_FONT = 'sans-serif';

/**
 * The house look, merged under each plot's own config. Label and title limits are lifted so
 * that class names are never cut short with an ellipsis.
 */
export const PLOT_THEME: Config = {
  font: PLOT_FONT,
  background: 'white',
  padding: 16,
  title: { fontSize: 17, subtitleFontSize: 12, subtitleColor: '#444', anchor: 'start', offset: 10, limit: 0 },
  axis: { labelFontSize: 12, titleFontSize: 13, labelLimit: 0, titlePadding: 8, gridColor: '#e4e4e4' },
  legend: { labelFontSize: 12, titleFontSize: 13, labelLimit: 0, titleLimit: 0, symbolStrokeWidth: 3 },
  header: { labelFontSize: 13, titleFontSize: 14 },
  view: { stroke: '#bbbbbb' },
  line: { strokeWidth: 2 },
};

/** Colour scheme with enough distinct hues for `n` series. */
export function categoryScheme(n: number): 'tableau10' | 'tableau20' {
  return n <= 10 ? 'tableau10' : 'tableau20';
}
