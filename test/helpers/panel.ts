// The side panel, run for real in plain Node: webview/main.ts bundled for the browser as
// scripts/build.mjs bundles it (the toolkit's web components included) and evaluated in a jsdom
// window, then driven with the messages the extension sends (src/protocol.ts HostMessage). Nothing of
// the panel is imported into the test process: each panel has its own window, globals and timers,
// and closing the window ends them. Animation frames are queued and run when the test says, so a
// batch of messages is drawn in one frame, as in the browser.

import { buildSync } from 'esbuild';
import { JSDOM, type DOMWindow } from 'jsdom';
import * as path from 'node:path';
import type { EnsembleEvent } from '../../src/core/events';
import { foldEvents } from '../../src/core/fold/state';
import { concernsAgent } from '../../src/core/fold/transcript';
import type { HostMessage, SessionSummary, WebviewMessage } from '../../src/protocol';

/** The snapshot src/vscode/feed.ts sends for a session whose log is `events`: their fold and the last seq. */
export function snapshotOf(sessionId: string | null, events: EnsembleEvent[], sessions: SessionSummary[] = []): Extract<HostMessage, { type: 'snapshot' }> {
  return { type: 'snapshot', sessionId, state: sessionId ? foldEvents(events) : null, seq: events.at(-1)?.seq ?? 0, sessions };
}

const root = path.resolve(__dirname, '..', '..');
let bundle: string | undefined;

/** dist/webview.js as scripts/build.mjs makes it (the webview target's options), built in memory once. */
function panelBundle(): string {
  bundle ??= buildSync({ entryPoints: ['webview/main.ts'], absWorkingDir: root, bundle: true, write: false, platform: 'browser', format: 'iife', target: 'es2020', logLevel: 'error' }).outputFiles[0]!.text;
  return bundle;
}

export class Panel {
  /** What the panel posted to the extension. */
  readonly posted: WebviewMessage[] = [];
  readonly window: DOMWindow;
  private frames: (() => void)[] = [];
  private answered = 0;

  constructor() {
    const dom = new JSDOM('<!doctype html><html><body><main id="app"></main></body></html>', { runScripts: 'outside-only' });
    this.window = dom.window;
    const w = this.window as unknown as Record<string, unknown>;
    w.acquireVsCodeApi = () => ({ postMessage: (m: WebviewMessage) => this.posted.push(structuredClone(m)) });
    w.requestAnimationFrame = (cb: (t: number) => void) => this.frames.push(() => cb(0));
    w.cancelAnimationFrame = () => {};
    // jsdom has no CSS.escape (the panel uses it to find the control that had the focus after a redraw).
    w.CSS ??= { escape: (s: string) => s.replace(/["\\\]\[]/g, '\\$&') };
    this.window.eval(panelBundle());
  }

  /**
   * Delivers messages as the extension posts them, then runs animation frames until none is asked
   * for: the panel's redraw, then the toolkit's own updates (its components reflect their attributes
   * in a later frame).
   */
  send(...messages: HostMessage[]): void {
    for (const m of messages) this.window.dispatchEvent(new this.window.MessageEvent('message', { data: structuredClone(m) }));
    for (let i = 0; this.frames.length; i++) {
      if (i === 20) throw new Error('the panel keeps asking for animation frames');
      const frames = this.frames;
      this.frames = [];
      for (const f of frames) f();
    }
  }

  /** Answers the transcript requests the panel posted since the last call, as feed.ts does, from a log that holds `events` now. */
  answerTranscripts(events: EnsembleEvent[]): void {
    const asked = this.posted.slice(this.answered).filter((m) => m.type === 'transcript');
    this.answered = this.posted.length;
    for (const m of asked) this.send({ type: 'transcript', sessionId: m.sessionId, agentId: m.agentId, seq: events.at(-1)?.seq ?? 0, events: events.filter((e) => concernsAgent(e, m.agentId)) });
  }

  get app(): HTMLElement {
    return this.window.document.getElementById('app')!;
  }

  /** The text of an element, whitespace collapsed. */
  text(selector: string): string {
    return (this.app.querySelector(selector)?.textContent ?? '').replace(/\s+/g, ' ').trim();
  }

  /** The cells' text of a section's table body, one array per row. */
  rows(section: string): string[][] {
    return [...this.app.querySelectorAll(`#${section}-body tbody tr`)].map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').replace(/\s+/g, ' ').trim()));
  }

  close(): void {
    this.window.close();
  }
}
