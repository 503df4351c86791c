// Review commands: open a change's diff, keep or revert one file (from the tree, the panel, the diff
// editor's title bar or the palette), keep or revert all. Also tracks the context keys that show Keep
// (`ensemble.reviewDiffPending`) and Revert (`ensemble.reviewDiffRevertable`) in the title bar of a
// review diff, from the file's review state; a reverted file's diff is closed (there is nothing left
// to compare, and it would still say "created by Ensemble").
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ReviewOutcome } from '../core/store/review';
import { COMMANDS } from '../protocol';
import { BEFORE_SCHEME, openDiff, parseBeforeUri } from './beforeContent';
import type { SessionFocus, SessionRef } from './focus';
import { registerGuarded } from './guard';
import type { ReviewService } from './reviewService';
import { FileItem, REVIEW_VIEW_ID } from './reviewTree';

type Target = { ref: SessionRef; path: string };

export function registerReviewCommands(focus: SessionFocus, review: ReviewService): vscode.Disposable[] {
  const target = async (arg: unknown, pick: 'pending' | 'any'): Promise<Target | undefined> => {
    if (arg instanceof FileItem) return { ref: arg.ref, path: arg.file.path };
    const ref = focus.ref;
    if (typeof arg === 'string' && ref) return { ref, path: arg };
    const fromDiff = activeReviewDiff();
    if (fromDiff) return fromDiff;
    if (arg instanceof vscode.Uri && ref) {
      const rel = path.relative(ref.workspace, arg.fsPath).split(path.sep).join('/');
      if (!rel.startsWith('..')) return { ref, path: rel };
    }
    if (!ref) return void vscode.window.showInformationMessage('Ensemble: there is no session to review yet.');
    const files = review.files(ref).filter((f) => pick === 'any' || f.review !== 'reverted');
    if (!files.length) return void vscode.window.showInformationMessage('Ensemble: this session has no changes left to review.');
    const chosen = await vscode.window.showQuickPick(
      files.map((f) => ({ label: f.path, description: [f.change, f.role, f.provider, f.review].filter(Boolean).join(' · ') })),
      { title: 'Ensemble: Choose a Changed File', placeHolder: 'Which change?' },
    );
    return chosen ? { ref, path: chosen.label } : undefined;
  };

  const report = (out: ReviewOutcome | undefined, verb: string, ref?: SessionRef): void => {
    if (!out) return;
    if (out.ok && out.action === 'reverted' && ref) void closeReviewDiffs(ref, [out.path]);
    if (out.ok) vscode.window.setStatusBarMessage(`Ensemble: ${out.unchanged ? 'already ' : ''}${verb} ${out.path}`, 4000);
    else if (out.reason === 'conflict') void vscode.window.showInformationMessage(`Ensemble: ${out.path} was left as it is (your edits are kept).`);
    else void vscode.window.showWarningMessage(`Ensemble: ${out.message}`);
  };

  const summarise = (outs: ReviewOutcome[], verb: string): void => {
    if (!outs.length) return void vscode.window.showInformationMessage(`Ensemble: no changes to ${verb === 'kept' ? 'keep' : 'revert'}.`);
    const ok = outs.filter((o) => o.ok).length;
    const left = outs.filter((o): o is Extract<ReviewOutcome, { ok: false }> => !o.ok);
    const msg = `Ensemble: ${verb} ${ok} of ${outs.length} change${outs.length === 1 ? '' : 's'}.${left.length ? ` Left as they are: ${left.map((o) => `${o.path} (${o.reason === 'conflict' ? 'edited since' : o.message})`).join(', ')}.` : ''}`;
    void (left.length ? vscode.window.showWarningMessage(msg) : vscode.window.showInformationMessage(msg));
  };

  return [
    registerGuarded(COMMANDS.openDiff, 'open a change', async (arg) => {
      const t = await target(arg, 'any');
      if (!t) return;
      const f = review.files(t.ref).find((x) => x.path === t.path);
      if (!f) return void vscode.window.showWarningMessage(`Ensemble: ${t.path} was not changed by this session.`);
      await openDiff(t.ref, f.path, f.change, f.review);
    }),
    registerGuarded(COMMANDS.keepFile, 'keep a change', async (arg) => {
      const t = await target(arg, 'pending');
      if (t) report(await review.keep(t.path, t.ref), 'kept');
    }),
    registerGuarded(COMMANDS.revertFile, 'revert a change', async (arg) => {
      const t = await target(arg, 'pending');
      if (t) report(await review.revert(t.path, { ref: t.ref }), 'reverted', t.ref);
    }),
    registerGuarded(COMMANDS.keepAll, 'keep changes', async () => {
      if (!focus.ref) return void vscode.window.showInformationMessage('Ensemble: there is no session to review yet.');
      summarise(await review.keepAll(), 'kept');
    }),
    registerGuarded(COMMANDS.revertAll, 'revert changes', async () => {
      const ref = focus.ref;
      if (!ref) return void vscode.window.showInformationMessage('Ensemble: there is no session to review yet.');
      const n = review.files(ref).filter((f) => f.review !== 'reverted').length;
      if (!n) return void vscode.window.showInformationMessage('Ensemble: no changes to revert.');
      const ok = await vscode.window.showWarningMessage(
        `Revert all ${n} change${n === 1 ? '' : 's'} of this Ensemble session? Files it created are deleted; the others get back their content from before the session.`,
        { modal: true },
        'Revert All',
      );
      if (ok !== 'Revert All') return;
      const outs = await review.revertAll();
      await closeReviewDiffs(
        ref,
        outs.filter((o) => o.ok).map((o) => o.path),
      );
      summarise(outs, 'reverted');
    }),
    registerGuarded(COMMANDS.reviewChanges, 'review changes', async () => {
      const ref = focus.ref;
      const files = review.files(ref);
      await vscode.commands.executeCommand(`${REVIEW_VIEW_ID}.focus`);
      const first = files.find((f) => f.review === 'pending');
      if (!ref || !files.length) return void vscode.window.showInformationMessage('Ensemble: this session changed no files.');
      if (first) await openDiff(ref, first.path, first.change);
    }),
    ...trackReviewDiff(review),
  ];
}

/** Closes the review diffs of `paths` of session `ref` (their files were reverted). */
async function closeReviewDiffs(ref: SessionRef, paths: readonly string[]): Promise<void> {
  const gone = new Set(paths);
  const tabs = vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => {
      if (!(t.input instanceof vscode.TabInputTextDiff)) return false;
      const p = parseBeforeUri(t.input.original);
      return !!p && p.ref.sessionId === ref.sessionId && gone.has(p.path);
    });
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}

/** The review diff in the active tab, if any (its left side is `ensemble-before`). */
export function activeReviewDiff(): Target | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (!(input instanceof vscode.TabInputTextDiff) || input.original.scheme !== BEFORE_SCHEME) return undefined;
  const parsed = parseBeforeUri(input.original);
  return parsed ? { ref: parsed.ref, path: parsed.path } : undefined;
}

/** Keep is offered on the diff of a file still to review, Revert on one not reverted yet (as in the Changes view). */
function trackReviewDiff(review: ReviewService): vscode.Disposable[] {
  const update = () => {
    const d = activeReviewDiff();
    const f = d && review.files(d.ref).find((x) => x.path === d.path);
    void vscode.commands.executeCommand('setContext', 'ensemble.reviewDiffPending', f?.review === 'pending');
    void vscode.commands.executeCommand('setContext', 'ensemble.reviewDiffRevertable', !!f && f.review !== 'reverted' && !f.beforeUnknown);
  };
  update();
  return [vscode.window.tabGroups.onDidChangeTabs(update), vscode.window.tabGroups.onDidChangeTabGroups(update), review.onDidChange(update)];
}
