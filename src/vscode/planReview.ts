// The plan's review in the editor (`ensemble.planApproval: "ask"`): the engine's PlanReviewer port.
// While a plan waits, the panel shows it with Approve / Edit / Replan with feedback / Cancel, and the
// commands answer it. Edit opens the plan as an untitled JSON document checked live by submit_plan's
// rules (diagnostics on the offending task's line); Submit Edited Plan sends it, and the engine checks
// it again (a refused edit is logged and the plan is proposed again with the errors).
import * as vscode from 'vscode';
import type { PlanProposal, PlanReviewAnswer, PlanReviewer } from '../core/ports';
import { checkPlanText, planFileText } from '../core/session/planFile';
import { PANEL_VIEW_ID } from './panel';

export class NoPlanWaitingError extends Error {
  constructor() {
    super('No plan is waiting for approval.');
    this.name = 'NoPlanWaitingError';
  }
}

export class PlanReviewService implements vscode.Disposable {
  private waiting: { proposal: PlanProposal; answer: (a: PlanReviewAnswer) => void } | undefined;
  private document: vscode.TextDocument | undefined;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('ensemble-plan');
  private readonly _onDidChange = new vscode.EventEmitter<PlanProposal | undefined>();
  /** Fires with the proposal that now waits for an answer, or undefined when none does. */
  readonly onDidChange = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.diagnostics,
      this._onDidChange,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === this.document) this.check(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d === this.document) this.forgetDocument();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
    );
  }

  /** The proposal waiting for an answer, if one is. */
  get awaiting(): PlanProposal | undefined {
    return this.waiting?.proposal;
  }

  /** The engine's port: resolves with the user's answer (or never, if the session is cancelled first). */
  readonly reviewer: PlanReviewer = (proposal, signal) =>
    new Promise((resolve) => {
      const settle = () => {
        signal.removeEventListener('abort', onAbort);
        if (this.waiting?.proposal === proposal) this.waiting = undefined;
        this.changed();
      };
      const onAbort = () => settle();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting = { proposal, answer: (a) => (settle(), resolve(a)) };
      this.changed();
      if (proposal.errors.length) {
        void vscode.window.showErrorMessage(`Ensemble: the edited plan was refused: ${proposal.errors.join(' ')}`);
        if (this.document) this.check(this.document);
      } else void vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`); // the panel shows the plan, its Approve button focused
    });

  approve(): void {
    this.answer({ action: 'approve' });
  }

  replan(feedback: string): void {
    this.answer({ action: 'replan', feedback });
  }

  cancel(): void {
    this.answer({ action: 'cancel', reason: 'the plan was cancelled by the user' });
  }

  /** Opens the waiting plan as an untitled JSON document (submit_plan's shape), checked as it is typed. */
  async edit(): Promise<vscode.TextDocument> {
    const p = this.need();
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: planFileText({ rationale: p.rationale, tasks: p.tasks }) });
    this.document = doc;
    await vscode.window.showTextDocument(doc, { preview: false });
    this.check(doc);
    this.updateContext();
    return doc;
  }

  /**
   * Sends the edited plan (the given document, else the one Edit opened). Text that is not JSON is
   * refused here, with its line; anything else goes to the engine, which checks it by submit_plan's rules.
   */
  submitEdited(doc: vscode.TextDocument | undefined = this.document): void {
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
  }

  private need(): PlanProposal {
    if (!this.waiting) throw new NoPlanWaitingError();
    return this.waiting.proposal;
  }

  /** Live diagnostics by submit_plan's rules, each on the line of the offending task's field. */
  private check(doc: vscode.TextDocument) {
    const roles = this.waiting?.proposal.roles ?? [];
    const result = checkPlanText(doc.getText(), roles);
    const problems = result.ok ? [] : result.problems;
    this.diagnostics.set(
      doc.uri,
      problems.map((p) => {
        const d = new vscode.Diagnostic(new vscode.Range(doc.positionAt(p.start), doc.positionAt(p.end)), p.message, vscode.DiagnosticSeverity.Error);
        d.source = 'Ensemble plan';
        return d;
      }),
    );
    return problems;
  }

  private forgetDocument(): void {
    if (this.document) this.diagnostics.delete(this.document.uri);
    this.document = undefined;
    this.updateContext();
  }

  private changed(): void {
    void vscode.commands.executeCommand('setContext', 'ensemble.planAwaiting', !!this.waiting);
    if (!this.waiting && this.document) this.diagnostics.delete(this.document.uri);
    this.updateContext();
    this._onDidChange.fire(this.waiting?.proposal);
  }

  private updateContext(): void {
    const active = vscode.window.activeTextEditor?.document;
    void vscode.commands.executeCommand('setContext', 'ensemble.planDocument', !!active && active === this.document);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
