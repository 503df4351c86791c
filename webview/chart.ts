// A small horizontal bar chart as inline SVG (no style attributes: colours come from the stylesheet's
// classes, which use the theme's --vscode-charts-* colours).
import { s } from './dom';

export interface Bar {
  label: string;
  value: number;
  text: string;
}

export function barChart(bars: Bar[], title: string): SVGElement {
  // Drawn at about the width of a side bar, so that text stays legible when the SVG is scaled to it.
  const rowH = 18;
  const labelW = 72;
  const width = 240;
  const barW = width - labelW - 62;
  const max = Math.max(...bars.map((b) => b.value), 0);
  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${width} ${Math.max(1, bars.length) * rowH}`,
    role: 'img',
    'aria-label': `${title}: ${bars.map((b) => `${b.label} ${b.text}`).join(', ') || 'no data'}`,
    preserveAspectRatio: 'xMinYMin meet',
  });
  bars.forEach((b, i) => {
    const y = i * rowH;
    const w = max > 0 ? Math.max(1, Math.round((b.value / max) * barW)) : 1;
    svg.append(
      s('text', { x: 0, y: y + 13, class: 'chart-label' }, b.label.length > 11 ? `${b.label.slice(0, 10)}…` : b.label),
      s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 6, rx: 2, class: `chart-bar chart-bar-${i % 6}` }),
      s('text', { x: labelW + w + 4, y: y + 13, class: 'chart-value' }, b.text),
    );
  });
  return svg;
}
