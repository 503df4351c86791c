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
