// The one place that knows which web-component library draws the panel. Only the components the
// panel uses are registered, once. The rest of the panel creates elements through `TAG` and never
// names the library: this is the seam for a later swap to @vscode-elements/elements.
// (Badges and tags are plain styled spans: the toolkit's badge and tag templates carry inline style
// attributes that a strict CSP reports, see shared/reference/webview-toolkit-csp.md.)
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeProgressRing } from '@vscode/webview-ui-toolkit';

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
