// A best-of-several candidate's changes, opened as one multi-file diff (VS Code's changes editor): each
// file it changed in its copy, as the copy began ↔ as the candidate left it, both sides served read-only
// from the session's blob store under the `ensemble-candidate` scheme. The candidate's copy itself is
// gone once the race is over; its blobs stay, so any candidate's changes can be opened, applied or not.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CandidateState, SessionState } from '../core/fold/state';
import { BlobStore } from '../core/store/blobs';
import { sessionDir } from '../core/store/log';
import { openSession } from '../core/store/state-snapshot';
import { changeText, checkText } from '../core/fold/narrate';
import { costText } from '../core/fold/figures';
import { COMMANDS } from '../protocol';
import { diskUri } from './beforeContent';
import type { SessionFocus, SessionRef } from './focus';
import { registerGuarded } from './guard';
import type { SessionController } from './sessionController';

export const CANDIDATE_SCHEME = 'ensemble-candidate';

/**
 * `ensemble-candidate:/<path>?ws=<workspace>&session=<id>&sha=<sha>`: one side of a candidate's file.
 * No `sha`: the file did not exist on that side (created, deleted); `unknown`: its content was too large to keep.
 */
export function candidateUri(ref: SessionRef, relPath: string, side: { sha: string | null; known?: boolean; label: string }): vscode.Uri {
  const query = new URLSearchParams({ ws: ref.workspace, session: ref.sessionId, side: side.label });
  if (side.sha) query.set('sha', side.sha);
  if (side.known === false) query.set('unknown', '1');
  return vscode.Uri.from({ scheme: CANDIDATE_SCHEME, path: `/${relPath}`, query: query.toString() });
}

export class CandidateContentProvider implements vscode.TextDocumentContentProvider {
  provideTextDocumentContent(uri: vscode.Uri): string {
    const q = new URLSearchParams(uri.query);
    const workspace = q.get('ws');
    const sessionId = q.get('session');
    const sha = q.get('sha');
    const relPath = uri.path.replace(/^\//, '');
    if (q.get('unknown') === '1') return `(The content of ${relPath} before the candidate began was too large to keep.)`;
    if (!workspace || !sessionId || !sha) return '';
    const bytes = new BlobStore(sessionDir(workspace, sessionId)).get(sha);
    if (bytes === undefined) return `(The content of ${relPath} is not in session ${sessionId}'s store.)`;
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** A candidate in a line: "api#3 gemini/gemini-2.5-flash: check passed · $0.0087 · +4 −0 in 2 files". */
export function candidateDescription(c: CandidateState): string {
  return `check ${checkText(c)} · ${costText(c.figures)} · ${changeText({ added: c.added, removed: c.removed, files: c.files.length })}`;
}

/** Opens candidate `c`'s changes: the changes editor, one entry per file (a single file: the diff editor). */
export async function openCandidateDiff(ref: SessionRef, c: CandidateState): Promise<void> {
  const name = `${c.candidateId} (${c.provider}/${c.model})`;
  if (!c.files.length) {
    void vscode.window.showInformationMessage(
      c.status === 'running'
        ? `Ensemble: candidate ${name} is still working; its changes can be opened once it has finished.`
        : `Ensemble: candidate ${name} changed no file.`,
    );
    return;
  }
  const sides = c.files.map((f) => {
    const left = candidateUri(ref, f.path, { sha: f.beforeSha, known: f.beforeKnown, label: 'before' });
    const right = candidateUri(ref, f.path, { sha: f.afterSha, label: c.candidateId });
    return { f, left, right };
  });
  // VS Code adds the number of files: "Candidate api#2 (openai/gpt-5): +6 −1 (3 files)".
  const title = `Candidate ${name}: +${c.added} −${c.removed}`;
  if (sides.length === 1) {
    const { f, left, right } = sides[0]!;
    await vscode.commands.executeCommand('vscode.diff', left, right, `${path.posix.basename(f.path)} (${name}, ${f.change})`, { preview: true });
    return;
  }
  // [the file it is (its label and icon), before, after] per file.
  await vscode.commands.executeCommand(
    'vscode.changes',
    title,
    sides.map(({ f, left, right }) => [diskUri(ref, f.path), left, right]),
  );
}

/** Every candidate of the session's latest races, with its task, in the plan's order. */
export function candidatesOf(state: SessionState): { taskId: string; title: string; c: CandidateState }[] {
  return state.taskOrder.flatMap((id) => (state.tasks[id]?.race?.candidates ?? []).map((c) => ({ taskId: id, title: state.tasks[id]!.title, c })));
}

/** `ensemble.openCandidateDiff [candidateId]`: a candidate of the focused session (asked for when not given). */
export function registerCandidateCommands(focus: SessionFocus, controller: SessionController): vscode.Disposable[] {
  const stateOf = (ref: SessionRef): SessionState => {
    const active = controller.active;
    return active?.ref.sessionId === ref.sessionId ? active.handle.state : openSession(sessionDir(ref.workspace, ref.sessionId)).state;
  };
  return [
    registerGuarded(COMMANDS.openCandidateDiff, "open a candidate's changes", async (arg) => {
      const ref = focus.ref;
      if (!ref) return void vscode.window.showInformationMessage('Ensemble: there is no session yet.');
      const all = candidatesOf(stateOf(ref));
      if (!all.length) return void vscode.window.showInformationMessage('Ensemble: no task of this session was done best of several.');
      let chosen = typeof arg === 'string' ? all.find((x) => x.c.candidateId === arg) : undefined;
      if (typeof arg === 'string' && !chosen) return void vscode.window.showWarningMessage(`Ensemble: this session has no candidate ${arg}.`);
      if (!chosen) {
        const picked = await vscode.window.showQuickPick(
          all.map((x) => ({
            label: `${x.c.candidateId} ${x.c.provider}/${x.c.model}`,
            description: candidateDescription(x.c),
            detail: `Task ${x.taskId} — ${x.title}`,
            x,
          })),
          { title: "Ensemble: Open a Candidate's Changes", placeHolder: 'Which candidate?' },
        );
        chosen = picked?.x;
      }
      if (chosen) await openCandidateDiff(ref, chosen.c);
    }),
  ];
}
