// Unsaved editor changes as the engine's DirtyCheck: an agent never writes a file that is open with
// unsaved changes (the write is refused as a conflict and the editor's text stays the user's).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DirtyCheck } from '../core/store/workspace';

/** Asks VS Code whether the file `rel` of `workspace` is open in an editor with unsaved changes. */
export function dirtyEditors(workspace: string): DirtyCheck {
  const root = path.resolve(workspace);
  const caseless = process.platform === 'win32' || process.platform === 'darwin';
  const key = (p: string) => (caseless ? p.toLowerCase() : p);
  return (rel) => {
    const target = key(path.join(root, ...rel.split('/')));
    return vscode.workspace.textDocuments.some((d) => d.isDirty && d.uri.scheme === 'file' && key(path.resolve(d.uri.fsPath)) === target);
  };
}
