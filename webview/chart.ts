// A small horizontal bar chart as inline SVG (no style attributes: colours come from the stylesheet's
// classes, which use the theme's --vscode-charts-* colours), and each provider's one colour.
import { s } from './dom';

/**
 * VS Code's chart colours (`--vscode-charts-<name>`) that stand out (3:1 or more, checked by the e2e
 * journey) from the side bar in dark, light and high-contrast themes alike. Not orange: VS Code derives
 * charts.orange from the minimap's find-match highlight, which Dark Modern makes a translucent dark
 * brown; not yellow: 2.9:1 on a light side bar.
 */
export type ChartColour = 'blue' | 'green' | 'purple' | 'red';

const FIXED: Record<string, ChartColour> = { openai: 'green', anthropic: 'purple', gemini: 'blue' };
const PALETTE: ChartColour[] = ['red', 'purple', 'blue', 'green'];

/**
 * A provider's colour, the same in every session whatever the order its figures came in: a fixed one
 * for the built-in providers, a stable hash of the id into the palette for the others (which may share
 * a built-in's colour: every bar and swatch is named in text beside it).
 */
export function providerColour(id: string): ChartColour {
  const fixed = FIXED[id];
  if (fixed) return fixed;
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.codePointAt(0)!) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

export interface Bar {
  label: string;
  value: number;
  text: string;
  colour: ChartColour;
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
    // Never a sliver: a small figure still gets a bar wide enough to show its colour.
    const w = max > 0 ? Math.max(4, Math.round((b.value / max) * barW)) : 4;
    svg.append(
      s('text', { x: 0, y: y + 13, class: 'chart-label' }, b.label.length > 11 ? `${b.label.slice(0, 10)}…` : b.label),
      s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 6, rx: 2, class: `chart-bar chart-${b.colour}`, 'data-provider': b.label }),
      s('text', { x: labelW + w + 4, y: y + 13, class: 'chart-value' }, b.text),
    );
  });
  return svg;
}
