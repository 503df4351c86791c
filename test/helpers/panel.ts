// The side panel, run for real in plain Node: webview/main.ts bundled for the browser as
// scripts/build.mjs bundles it (the toolkit's web components included) and evaluated in a jsdom
// window, then driven with the messages the extension sends (src/protocol.ts HostMessage). Nothing of
// the panel is imported into the test process: each panel has its own window, globals and timers,
// and closing the window ends them. Animation frames are queued and run when the test says, so a
// batch of messages is drawn in one frame, as in the browser.

import { buildSync } from 'esbuild';
import { JSDOM, type DOMWindow } from 'jsdom';
import * as path from 'node:path';
import type { HostMessage, WebviewMessage } from '../../src/protocol';

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

  constructor() {
    const dom = new JSDOM('<!doctype html><html><body><main id="app"></main></body></html>', { runScripts: 'outside-only' });
    this.window = dom.window;
    const w = this.window as unknown as Record<string, unknown>;
    w.acquireVsCodeApi = () => ({ postMessage: (m: WebviewMessage) => this.posted.push(structuredClone(m)) });
    w.requestAnimationFrame = (cb: (t: number) => void) => this.frames.push(() => cb(0));
    w.cancelAnimationFrame = () => {};
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
