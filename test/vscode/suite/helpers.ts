import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnsembleApi } from '../../../src/vscode/api';

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
