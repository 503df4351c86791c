import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnsembleApi } from '../../../src/vscode/api';
import { applyEvent, initialState, type SessionState } from '../../../src/core/fold/state';
import type { HostMessage } from '../../../src/protocol';
import type { FakeServer } from '../../../src/fakes/script';

export const EXTENSION_ID = 'ensemble-dev.ensemble';

export async function getApi(): Promise<EnsembleApi> {
  const ext = vscode.extensions.getExtension<EnsembleApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this host`);
  return ext.isActive ? ext.exports : await ext.activate();
}

export function tempFolder(prefix = 'ensemble-ext-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function nextEvent<T>(event: vscode.Event<T>): Promise<T> {
  return new Promise((resolve) => {
    const d = event((x) => {
      d.dispose();
      resolve(x);
    });
  });
}

/** `p`, or a rejection naming `what` after `ms` (every wait in the suite is bounded). */
export function withTimeout<T>(p: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(p), timeout]).finally(() => clearTimeout(timer));
}

/** The first value `event` fires that satisfies `accept`, within `ms`. */
export function waitForEvent<T>(event: vscode.Event<T>, accept: (x: T) => boolean, ms: number, what: string): Promise<T> {
  let d: vscode.Disposable | undefined;
  const hit = new Promise<T>((resolve) => {
    d = event((x) => {
      if (!accept(x)) return;
      d?.dispose();
      resolve(x);
    });
  });
  return withTimeout(hit, ms, what).finally(() => d?.dispose());
}

/** Folds what the panel was sent for `sessionId`: its last snapshot (its state through `from`), then the batches after it (`seqs`). */
export function foldPanel(messages: HostMessage[], sessionId: string): { state: SessionState; from: number; seqs: number[] } {
  const start = messages.map((m, i) => (m.type === 'snapshot' && m.sessionId === sessionId ? i : -1)).filter((i) => i >= 0).pop();
  assert.ok(start !== undefined, 'the panel was never sent a snapshot of the session');
  const snap = messages[start] as Extract<HostMessage, { type: 'snapshot' }>;
  const state = structuredClone(snap.state ?? initialState());
  const seqs: number[] = [];
  for (const m of messages.slice(start + 1)) {
    if (m.type !== 'events' || m.sessionId !== sessionId) continue;
    for (const e of m.events) {
      applyEvent(state, e);
      seqs.push(e.seq);
    }
  }
  return { state, from: snap.seq, seqs };
}

/** Sets Ensemble settings (globally) for a suite; the function returned puts the previous values back. */
export async function setSettings(values: Record<string, unknown>): Promise<() => Promise<void>> {
  const section = vscode.workspace.getConfiguration('ensemble');
  const saved = new Map<string, unknown>();
  for (const [name, value] of Object.entries(values)) {
    saved.set(name, section.inspect(name)?.globalValue);
    await section.update(name, value, vscode.ConfigurationTarget.Global);
  }
  return async () => {
    const now = vscode.workspace.getConfiguration('ensemble');
    for (const [name, value] of saved) await now.update(name, value, vscode.ConfigurationTarget.Global);
  };
}

/** Cancels the session running in this window, if any, and waits (10 s at most) for it to end. */
export async function stopActiveSession(api: EnsembleApi): Promise<void> {
  const active = api.controller.active;
  if (!active) return;
  api.controller.cancel('test cleanup');
  await withTimeout(active.handle.done, 10_000, 'the session to stop').catch(() => undefined);
}

/** What a suite that runs sessions against the fakes changed in this window (each part undone only if it was made). */
export interface HostChanges {
  feed?: vscode.Disposable;
  servers: Partial<Record<string, FakeServer>>;
  env?: () => void;
  settings?: () => Promise<void>;
  keys?: () => Promise<void>;
}

/** A suite's `after`: stops listening to the panel, stops the running session, closes the fakes, then puts back the environment, the settings and the stored keys. */
export async function undoHostChanges(api: EnsembleApi | undefined, c: HostChanges): Promise<void> {
  c.feed?.dispose();
  if (api) await stopActiveSession(api);
  await Promise.all(Object.values(c.servers).map((s) => s?.close()));
  c.env?.();
  await c.settings?.();
  await c.keys?.();
}

/** Remembers the keys stored for these providers; the function returned puts them back (clears those that had none). */
export async function saveKeys(api: EnsembleApi, providers: readonly string[]): Promise<() => Promise<void>> {
  const saved = new Map<string, string | undefined>();
  for (const p of providers) saved.set(p, await api.keys.stored(p));
  return async () => {
    for (const [p, key] of saved) await (key === undefined ? api.keys.clear(p) : api.keys.set(p, key));
  };
}

/** Remembers these environment variables; the function returned puts them back as they were. */
export function saveEnv(names: readonly string[]): () => void {
  const saved = names.map((n) => [n, process.env[n]] as const);
  return () => {
    for (const [n, value] of saved) {
      if (value === undefined) delete process.env[n];
      else process.env[n] = value;
    }
  };
}

/** Polls `ok` every 50 ms until it holds, else fails after `ms` naming `what`. */
export async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
