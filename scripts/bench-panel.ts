// The panel benchmark (issue 14): the real production webview bundle (dist/webview.js as
// scripts/build.mjs --production makes it) in headless Chromium, driven through the real protocol: a
// page that provides `acquireVsCodeApi` and is sent the HostMessages the extension sends — the
// snapshot of a long session (time to first render), then its new events at a steady rate in the
// batches src/vscode/feed.ts makes (p95 of apply + redraw per batch). Timed in the page with
// performance.now(): the message's deserialisation and handler, then the panel's animation frame and
// the layout it causes (a frame callback asked for before the message runs just before the panel's
// redraw, one asked for after it just after, and forces layout).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnsembleEvent } from '../src/core/events';
import type { HostMessage } from '../src/protocol';

export const CHROMIUM = '/usr/bin/chromium';

export interface PanelBenchInput {
  /** A folder with the production build (webview.js) and where the page may be written. */
  out: string;
  root: string;
  /** The snapshot feed.ts sends for the session. */
  snapshot: Extract<HostMessage, { type: 'snapshot' }>;
  /** The events appended after it, in order. */
  live: EnsembleEvent[];
  /** Events appended per second, and feed.ts's batching interval. */
  perSecond: number;
  flushMs: number;
}

export interface PanelBenchResult {
  firstRenderMs: number;
  /** Per batch: handler + redraw + layout. */
  batchMs: number[];
  eventsPerBatch: number;
}

declare const window: Window & { __deliver(json: string): Promise<number>; __posted: unknown[] };

/** The page: what src/vscode/html.ts gives the webview (its styles and bundle), with `acquireVsCodeApi` as VS Code provides it. */
function page(input: PanelBenchInput): string {
  const file = (p: string) => `file://${p}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${file(path.join(input.root, 'node_modules/@vscode/codicons/dist/codicon.css'))}">
<link rel="stylesheet" href="${file(path.join(input.root, 'media/panel.css'))}">
<script>
window.__posted = [];
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) });
// One message as VS Code delivers it (deserialised, then a 'message' event); resolves with the ms of
// its handler plus the panel's redraw and the layout that follows, once that frame has run.
window.__deliver = (json) => new Promise((resolve) => {
  let before = 0;
  requestAnimationFrame(() => { before = performance.now(); });
  const t0 = performance.now();
  window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(json) }));
  const handler = performance.now() - t0;
  requestAnimationFrame(() => {
    void document.body.offsetHeight; // the layout the redraw caused
    resolve(handler + (performance.now() - before));
  });
});
</script>
</head><body>
<main id="app" aria-live="off"><p class="muted">Loading Ensemble…</p></main>
<script src="${file(path.join(input.out, 'webview.js'))}"></script>
</body></html>`;
}

export async function benchPanel(input: PanelBenchInput): Promise<PanelBenchResult> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 400, height: 900 } });
    const html = path.join(input.out, 'panel-bench.html');
    fs.writeFileSync(html, page(input));
    await tab.goto(`file://${html}`);
    await tab.waitForFunction(() => window.__posted.length > 0); // the panel said it is ready
    const deliver = (m: HostMessage) => tab.evaluate((json) => window.__deliver(json), JSON.stringify(m));
    const firstRenderMs = await deliver(input.snapshot);
    const eventsPerBatch = Math.max(1, Math.round((input.perSecond * input.flushMs) / 1000));
    const batchMs: number[] = [];
    const sessionId = input.snapshot.sessionId!;
    for (let i = 0; i < input.live.length; i += eventsPerBatch) {
      const started = Date.now();
      batchMs.push(await deliver({ type: 'events', sessionId, events: input.live.slice(i, i + eventsPerBatch) }));
      await new Promise((r) => setTimeout(r, Math.max(0, input.flushMs - (Date.now() - started))));
    }
    const rows = await tab.evaluate(() => document.querySelectorAll('#tasks-body tbody tr').length);
    if (!rows) throw new Error('the panel drew no task');
    return { firstRenderMs, batchMs, eventsPerBatch };
  } finally {
    await browser.close();
  }
}
