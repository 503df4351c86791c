// Keep and revert in the editor: the engine's review (src/core/review.ts) for the focused session,
// plus the one question only the user can answer — whether to lose their own edits when a file they
// changed after Ensemble is reverted.
import * as vscode from 'vscode';
import { output } from './output';
import type { FileState } from '../core/fold/state';
import { reviewSession, type ReviewOutcome, type SessionReview } from '../core/store/review';
import { NodeFileStore } from '../node/file-store';
import type { SessionFocus, SessionRef } from './focus';
import type { SessionController } from './sessionController';

/** Asks whether to overwrite edits; the default is a modal warning. */
export type ConfirmOverwrite = (message: string) => Promise<boolean>;

export const conflictQuestion = (paths: readonly string[]): string =>
  paths.length === 1
    ? `${paths[0]} was edited after Ensemble changed it. Revert anyway and lose your edits?`
    : `${paths.length} files were edited after Ensemble changed them (${paths.join(', ')}). Revert them anyway and lose your edits?`;

const modalConfirm: ConfirmOverwrite = async (message) =>
  (await vscode.window.showWarningMessage(message, { modal: true }, 'Revert Anyway')) === 'Revert Anyway';

export class ReviewBusyError extends Error {
  constructor() {
    super('The session is still running: review its changes once it has ended (or cancel it).');
    this.name = 'ReviewBusyError';
  }
}

export class ReviewService implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<SessionRef>();
  /** Fires after a decision was appended to a session's log. */
  readonly onDidChange = this._onDidChange.event;

  constructor(
    private readonly focus: SessionFocus,
    private readonly controller: SessionController,
  ) {}

  /** Open reviews by session: each keeps its live fold, so a decision or a listing never re-reads the whole log. */
  private readonly reviews = new Map<string, SessionReview>();

  /** The review of a session (default: the focused one); undefined when there is none. */
  open(ref: SessionRef | undefined = this.focus.ref): SessionReview | undefined {
    if (!ref) return undefined;
    const key = `${ref.workspace}\0${ref.sessionId}`;
    let review = this.reviews.get(key);
    if (!review) this.reviews.set(key, (review = reviewSession(ref.workspace, ref.sessionId, new NodeFileStore(ref.workspace))));
    return review;
  }

  /** The focused session's changed files (the live fold while it runs). */
  files(ref: SessionRef | undefined = this.focus.ref): FileState[] {
    if (!ref) return [];
    const active = this.controller.active;
    if (active?.ref.sessionId === ref.sessionId) return active.handle.state.fileOrder.map((p) => active.handle.state.files[p]!);
    try {
      return this.open(ref)?.files() ?? [];
    } catch (e) {
      output.warn(`Could not read the changes of session ${ref.sessionId}`, e);
      return [];
    }
  }

  async keep(path: string, ref = this.focus.ref): Promise<ReviewOutcome | undefined> {
    const review = this.writable(ref);
    if (!review) return undefined;
    return this.changed(ref!, await review.keep(path));
  }

  /** Reverts one file; a conflict with the user's edits is asked about and forced only on yes. */
  async revert(path: string, o: { ref?: SessionRef; confirm?: ConfirmOverwrite } = {}): Promise<ReviewOutcome | undefined> {
    const ref = o.ref ?? this.focus.ref;
    const review = this.writable(ref);
    if (!review) return undefined;
    let out = await review.revert(path);
    if (!out.ok && out.reason === 'conflict' && (await (o.confirm ?? modalConfirm)(conflictQuestion([path])))) out = await review.revert(path, { force: true });
    return this.changed(ref!, out);
  }

  async keepAll(ref = this.focus.ref): Promise<ReviewOutcome[]> {
    const review = this.writable(ref);
    if (!review) return [];
    const out = await review.keepAll();
    if (out.length) this._onDidChange.fire(ref!);
    return out;
  }

  /** Reverts every file; those edited since are asked about once, together. */
  async revertAll(o: { ref?: SessionRef; confirm?: ConfirmOverwrite } = {}): Promise<ReviewOutcome[]> {
    const ref = o.ref ?? this.focus.ref;
    const review = this.writable(ref);
    if (!review) return [];
    const first = await review.revertAll();
    const conflicts = first.filter((x) => !x.ok && x.reason === 'conflict').map((x) => x.path);
    let out = first;
    if (conflicts.length && (await (o.confirm ?? modalConfirm)(conflictQuestion(conflicts)))) {
      const forced = new Map<string, ReviewOutcome>();
      for (const p of conflicts) forced.set(p, await review.revert(p, { force: true }));
      out = first.map((x) => forced.get(x.path) ?? x);
    }
    if (out.length) this._onDidChange.fire(ref!);
    return out;
  }

  private writable(ref: SessionRef | undefined): SessionReview | undefined {
    if (!ref) return undefined;
    if (this.controller.active?.ref.sessionId === ref.sessionId) throw new ReviewBusyError();
    return this.open(ref);
  }

  private changed(ref: SessionRef, out: ReviewOutcome): ReviewOutcome {
    if (out.ok && !out.unchanged) this._onDidChange.fire(ref);
    return out;
  }

  dispose(): void {
    this.reviews.clear();
    this._onDidChange.dispose();
  }
}
