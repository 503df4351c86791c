// The left side of a review diff: a file's content before the session touched it, served read-only
// from the session's blob store under the `ensemble-before` scheme (empty for a file it created).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { reviewSession } from '../core/store/review';
import { NodeFileStore } from '../node/file-store';
import type { SessionRef } from './focus';

export const BEFORE_SCHEME = 'ensemble-before';

/** `ensemble-before:/<path>?ws=<workspace>&session=<id>`; `empty`: the deleted file's right side. */
export function beforeUri(ref: SessionRef, relPath: string, empty = false): vscode.Uri {
  const query = new URLSearchParams({ ws: ref.workspace, session: ref.sessionId });
  if (empty) query.set('empty', '1');
  return vscode.Uri.from({ scheme: BEFORE_SCHEME, path: `/${relPath}`, query: query.toString() });
}

export function parseBeforeUri(uri: vscode.Uri): { ref: SessionRef; path: string; empty: boolean } | undefined {
  if (uri.scheme !== BEFORE_SCHEME) return undefined;
  const q = new URLSearchParams(uri.query);
  const workspace = q.get('ws');
  const sessionId = q.get('session');
  if (!workspace || !sessionId) return undefined;
  return { ref: { workspace, sessionId }, path: uri.path.replace(/^\//, ''), empty: q.get('empty') === '1' };
}

/** The file on disk, through the workspace folder's own URI when the session ran in one (remote-safe). */
export function diskUri(ref: SessionRef, relPath: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.find((f) => path.resolve(f.uri.fsPath) === path.resolve(ref.workspace));
  return folder ? vscode.Uri.joinPath(folder.uri, ...relPath.split('/')) : vscode.Uri.file(path.join(ref.workspace, ...relPath.split('/')));
}

export class BeforeContentProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): string {
    const parsed = parseBeforeUri(uri);
    if (!parsed) return '';
    if (parsed.empty) return '';
    const bytes = reviewSession(parsed.ref.workspace, parsed.ref.sessionId, new NodeFileStore(parsed.ref.workspace)).before(parsed.path);
    if (bytes === undefined) return `(The content of ${parsed.path} before session ${parsed.ref.sessionId} is not available.)`;
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** Opens the diff of one changed file: before the session ↔ the file on disk now (a reverted file: as it is again, before the session). */
export async function openDiff(
  ref: SessionRef,
  relPath: string,
  change: 'created' | 'modified' | 'deleted',
  review: 'pending' | 'kept' | 'reverted' = 'pending',
): Promise<void> {
  const reverted = review === 'reverted';
  const left = beforeUri(ref, relPath);
  const right = change === 'deleted' || (reverted && change === 'created') ? beforeUri(ref, relPath, true) : diskUri(ref, relPath);
  const label = reverted
    ? 'reverted: as before Ensemble'
    : change === 'created'
      ? 'created by Ensemble'
      : change === 'deleted'
        ? 'deleted by Ensemble'
        : 'before Ensemble ↔ now';
  await vscode.commands.executeCommand('vscode.diff', left, right, `${path.posix.basename(relPath)} (${label})`, { preview: true });
}
