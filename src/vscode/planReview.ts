// The plan's review in the editor (`ensemble.planApproval: "ask"`): the engine's PlanReviewer port.
// While a plan waits, the panel shows it with Approve / Edit / Replan with feedback / Cancel, and the
// commands answer it. Edit opens the plan as a JSON document, "Ensemble plan N.json" (kept in memory
// under the `ensemble-plan` scheme, never in the workspace), checked live by submit_plan's rules
// (diagnostics on the offending task's line); Submit Edited Plan sends it — enabled only while that plan
// waits and the document has no error — and the engine checks it again (a refused edit is logged and the
// plan is proposed again with the errors, shown in the document, the panel and the status bar). Once the
// plan is decided (approved, edited, replanned, cancelled, or the session ended) its document is closed,
// with nothing to save, and the refusal's message goes with it.
import * as vscode from 'vscode';
import type { EnsembleEvent } from '../core/events';
import type { PlanProposal, PlanReviewAnswer, PlanReviewer } from '../core/ports';
import { runtime } from './lazy';
import { PANEL_VIEW_ID } from './panel';

export class NoPlanWaitingError extends Error {
  constructor() {
    super('No plan is waiting for approval.');
    this.name = 'NoPlanWaitingError';
  }
}

export const PLAN_SCHEME = 'ensemble-plan';

/** The plan documents' files, in memory: written by Edit Plan, saved by the editor, dropped once their plan is decided. */
class PlanFiles implements vscode.FileSystemProvider {
  private readonly files = new Map<string, { data: Uint8Array; mtime: number }>();
  private readonly _onDidChangeFile = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this._onDidChangeFile.event;

  put(uri: vscode.Uri, text: string): void {
    this.files.set(uri.path, { data: new TextEncoder().encode(text), mtime: Date.now() });
  }

  drop(uri: vscode.Uri): void {
    this.files.delete(uri.path);
  }

  private get(uri: vscode.Uri) {
    const f = this.files.get(uri.path);
    if (!f) throw vscode.FileSystemError.FileNotFound(uri);
    return f;
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    if (uri.path === '/') return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    const f = this.get(uri);
    return { type: vscode.FileType.File, ctime: f.mtime, mtime: f.mtime, size: f.data.byteLength };
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.get(uri).data;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    this.get(uri); // only the documents Edit Plan opened exist; nothing else is created here
    this.files.set(uri.path, { data: content, mtime: Date.now() });
    this._onDidChangeFile.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  readDirectory(): [string, vscode.FileType][] {
    return [...this.files.keys()].map((p) => [p.slice(1), vscode.FileType.File]);
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  createDirectory(): void {
    throw vscode.FileSystemError.NoPermissions('Ensemble plan documents hold no folders.');
  }

  delete(uri: vscode.Uri): void {
    this.drop(uri);
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions('An Ensemble plan document cannot be renamed.');
  }

  dispose(): void {
    this._onDidChangeFile.dispose();
  }
}

export class PlanReviewService implements vscode.Disposable {
  private waiting: { proposal: PlanProposal; answer: (a: PlanReviewAnswer) => void } | undefined;
  /** The document Edit Plan opened, and the proposal it edits. */
  private document: { doc: vscode.TextDocument; proposal: number } | undefined;
  private readonly files = new PlanFiles();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('ensemble-plan');
  /** The refused edit's message, shown while its plan waits. */
  private refusal: vscode.Disposable | undefined;
  private readonly _onDidChange = new vscode.EventEmitter<PlanProposal | undefined>();
  /** Fires with the proposal that now waits for an answer, or undefined when none does. */
  readonly onDidChange = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.files,
      vscode.workspace.registerFileSystemProvider(PLAN_SCHEME, this.files, { isCaseSensitive: true }),
      this.diagnostics,
      this._onDidChange,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === this.document?.doc) this.check(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d === this.document?.doc) this.forgetDocument();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
    );
  }

  /** The proposal waiting for an answer, if one is. */
  get awaiting(): PlanProposal | undefined {
    return this.waiting?.proposal;
  }

  /** The document Edit Plan opened for the waiting plan, if it is open. */
  get editing(): vscode.TextDocument | undefined {
    return this.document?.doc;
  }

  /** The engine's port: resolves with the user's answer (or never, if the session is cancelled first). */
  readonly reviewer: PlanReviewer = (proposal, signal) =>
    new Promise((resolve) => {
      const settle = () => {
        signal.removeEventListener('abort', onAbort);
        if (this.waiting?.proposal === proposal) this.waiting = undefined;
        this.changed();
      };
      const onAbort = () => {
        settle();
        void this.resolveDocument();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting = { proposal, answer: (a) => (settle(), resolve(a)) };
      // A new proposal (a replan) makes the document of the one before stale.
      if (this.document && this.document.proposal !== proposal.proposal) void this.resolveDocument();
      this.changed();
      if (proposal.errors.length) {
        this.refusal?.dispose();
        this.refusal = vscode.window.setStatusBarMessage(`$(error) Ensemble: your edit of plan ${proposal.proposal} was refused: ${proposal.errors.join(' ')}`);
        if (this.document) {
          this.check(this.document.doc);
          void vscode.window.showTextDocument(this.document.doc, { preview: false });
        }
      } else void vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`); // the panel shows the plan, its Approve button focused
    });

  /**
   * Follows the sessions of this window: once a plan is decided — an edit accepted, approved, replanned,
   * or the session ended — its document is closed (an edit the engine refused keeps it open).
   */
  follow(onDidStart: vscode.Event<{ handle: { log: { onDidAppend: (listener: (e: EnsembleEvent) => void) => vscode.Disposable } } }>): vscode.Disposable {
    let log: vscode.Disposable | undefined;
    const started = onDidStart((a) => {
      log?.dispose();
      log = a.handle.log.onDidAppend((e) => {
        if (e.type === 'plan.edited' || e.type === 'plan.approved' || e.type === 'plan.feedback' || e.type === 'session.ended') void this.resolveDocument();
        if (e.type === 'session.ended') log?.dispose();
      });
    });
    return new vscode.Disposable(() => {
      started.dispose();
      log?.dispose();
    });
  }

  approve(): void {
    this.answer({ action: 'approve' });
  }

  replan(feedback: string): void {
    this.answer({ action: 'replan', feedback });
  }

  cancel(): void {
    this.answer({ action: 'cancel', reason: 'the plan was cancelled by the user' });
  }

  /** Opens the waiting plan as a JSON document (submit_plan's shape), checked as it is typed; the one already open for it, if any. */
  async edit(): Promise<vscode.TextDocument> {
    const p = this.need();
    if (this.document?.proposal === p.proposal && !this.document.doc.isClosed) {
      await vscode.window.showTextDocument(this.document.doc, { preview: false });
      return this.document.doc;
    }
    await this.resolveDocument();
    const uri = vscode.Uri.from({ scheme: PLAN_SCHEME, path: `/Ensemble plan ${p.proposal}.json` });
    this.files.put(uri, runtime().planFileText({ rationale: p.rationale, tasks: p.tasks }));
    const doc = await vscode.workspace.openTextDocument(uri);
    this.document = { doc, proposal: p.proposal };
    await vscode.window.showTextDocument(doc, { preview: false });
    this.check(doc);
    this.updateContext();
    return doc;
  }

  /**
   * Sends the edited plan (the given document, else the one Edit opened). Text that is not JSON is
   * refused here, with its line; anything else goes to the engine, which checks it by submit_plan's rules.
   */
  submitEdited(doc: vscode.TextDocument | undefined = this.document?.doc): void {
    this.need();
    if (!doc) throw new Error('There is no edited plan: run Ensemble: Edit Plan first.');
    let value: { rationale?: unknown; tasks?: unknown };
    try {
      value = JSON.parse(doc.getText()) as typeof value;
    } catch {
      const problem = this.check(doc).find((p) => p.message.startsWith('Not valid JSON'));
      throw new Error(`The edited plan is not valid JSON${problem ? ` (line ${problem.line}): ${problem.message}` : '.'}`);
    }
    this.answer({ action: 'edit', tasks: value?.tasks, rationale: typeof value?.rationale === 'string' ? value.rationale : undefined });
  }

  private answer(a: PlanReviewAnswer): void {
    this.need();
    this.waiting!.answer(a);
    // An edit waits for the engine's verdict (refused: the document stays); any other answer decides the plan.
    if (a.action !== 'edit') void this.resolveDocument();
  }

  private need(): PlanProposal {
    if (!this.waiting) throw new NoPlanWaitingError();
    return this.waiting.proposal;
  }

  /** Live diagnostics by submit_plan's rules, each on the line of the offending task's field. */
  private check(doc: vscode.TextDocument) {
    const p = this.waiting?.proposal;
    const result = runtime().checkPlanText(doc.getText(), { roles: p?.roles ?? [], providers: p?.providers, bestOfRoles: p?.bestOfRoles });
    const problems = result.ok ? [] : result.problems;
    this.diagnostics.set(
      doc.uri,
      problems.map((p) => {
        const d = new vscode.Diagnostic(new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.end)), p.message, vscode.DiagnosticSeverity.Error);
        d.source = 'Ensemble plan';
        return d;
      }),
    );
    this.updateContext();
    return problems;
  }

  /** The plan was decided: its document is saved (to memory: nothing to ask on closing) and closed. */
  private async resolveDocument(): Promise<void> {
    this.refusal?.dispose();
    this.refusal = undefined;
    const d = this.document;
    if (!d) return;
    this.forgetDocument();
    const uri = d.doc.uri.toString();
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri);
    try {
      if (d.doc.isDirty && !d.doc.isClosed) await d.doc.save();
      if (tabs.length) await vscode.window.tabGroups.close(tabs);
    } finally {
      this.files.drop(d.doc.uri);
    }
  }

  private forgetDocument(): void {
    if (this.document) this.diagnostics.delete(this.document.doc.uri);
    this.document = undefined;
    this.updateContext();
  }

  private changed(): void {
    void vscode.commands.executeCommand('setContext', 'ensemble.planAwaiting', !!this.waiting);
    if (!this.waiting) {
      this.refusal?.dispose();
      this.refusal = undefined;
    }
    this.updateContext();
    this._onDidChange.fire(this.waiting?.proposal);
  }

  /** `ensemble.planDocument`: the active editor edits the waiting plan; `ensemble.planDocumentErrors`: that document breaks submit_plan's rules. */
  private updateContext(): void {
    const active = vscode.window.activeTextEditor?.document;
    const d = this.document && this.waiting?.proposal.proposal === this.document.proposal ? this.document.doc : undefined;
    void vscode.commands.executeCommand('setContext', 'ensemble.planDocument', !!d && active === d);
    void vscode.commands.executeCommand('setContext', 'ensemble.planDocumentErrors', !!d && (this.diagnostics.get(d.uri)?.length ?? 0) > 0);
  }

  dispose(): void {
    this.refusal?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
