// The one place that knows which web-component library draws the panel, and how an icon is drawn.
// Only the components the panel uses are registered, once. The rest of the panel creates elements
// through `TAG`, `icon` and `iconButton` and never names the library: this is the seam for a later
// swap to @vscode-elements/elements.
// (Badges and tags are plain styled spans: the toolkit's badge and tag templates carry inline style
// attributes that a strict CSP reports, see shared/reference/webview-toolkit-csp.md.)
// Icons are codicons, VS Code's own icon font (@vscode/codicons, its codicon.css loaded by
// src/vscode/html.ts): the same glyphs as the editor's views, in the theme's colours.
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeProgressRing } from '@vscode/webview-ui-toolkit';
import { h, type Attrs, type Child } from './dom';

export const TAG = {
  button: 'vscode-button',
  progress: 'vscode-progress-ring',
} as const;

let registered = false;

export function registerComponents(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeProgressRing());
}

/** A codicon (decorative: what it means is said in text or in its control's label). */
export function icon(name: string, extra = ''): HTMLElement {
  return h('span', { class: `codicon codicon-${name}${extra ? ` ${extra}` : ''}`, 'aria-hidden': 'true' });
}

/** A toolbar-style icon button, as in a view's title bar: its label is its accessible name and tooltip. */
export function iconButton(name: string, label: string, attrs: Attrs): HTMLElement {
  return h(TAG.button, { appearance: 'icon', 'aria-label': label, title: label, ...attrs }, icon(name));
}

/** A text button with a codicon before its label (the toolkit's `start` slot); a label node can be updated in place. */
export function textButton(label: Child, iconName: string | null, attrs: Attrs): HTMLElement {
  return h(TAG.button, attrs, iconName ? h('span', { slot: 'start', class: `codicon codicon-${iconName}`, 'aria-hidden': 'true' }) : null, label);
}
