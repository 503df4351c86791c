// The side panel (WebviewView `ensemble.panel`): posts the feed's messages, and turns the panel's
// messages into commands. It keeps no session state of its own.
import * as vscode from 'vscode';
import { COMMANDS, isWebviewMessage, type HostMessage, type WebviewMessage } from '../protocol';
import type { PanelFeed } from './feed';
import type { SessionFocus } from './focus';
import type { PlanReviewService } from './planReview';
import type { Questions } from './questions';
import { panelHtml } from './html';

export const PANEL_VIEW_ID = 'ensemble.panel';

export class PanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private viewDisposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly feed: PanelFeed,
    private readonly focus: SessionFocus,
    private readonly plans?: PlanReviewService,
    private readonly questions?: Questions,
  ) {
    this.disposables.push(feed.onDidMessage((m) => this.post(m)));
    if (plans) this.disposables.push(plans.onDidChange((p) => this.post({ type: 'planReview', awaiting: p?.proposal ?? null })));
    // The events batched so far go first: the panel then knows the asking agent when its question arrives.
    if (questions)
      this.disposables.push(
        questions.onDidChange((q) => {
          feed.flush();
          this.post({ type: 'questions', questions: [...q] });
        }),
      );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    view.webview.options = {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    view.webview.html = panelHtml(view.webview, this.extensionUri);
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((m: unknown) => {
        if (isWebviewMessage(m)) void this.handle(m);
      }),
      // Hidden, the webview's document is discarded; shown again, it reloads and says `ready`.
      view.onDidChangeVisibility(() => {
        if (!view.visible) this.ready = false;
      }),
      view.onDidDispose(() => {
        if (this.view === view) this.view = undefined;
        this.disposeView();
      }),
    );
  }

  private post(m: HostMessage): void {
    if (this.view && this.ready) void this.view.webview.postMessage(m);
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post(this.feed.snapshot());
        this.post({ type: 'planReview', awaiting: this.plans?.awaiting?.proposal ?? null });
        this.post({ type: 'questions', questions: this.questions?.waiting ?? [] });
        return;
      case 'run':
        await vscode.commands.executeCommand(m.command);
        return;
      case 'openDiff':
        await vscode.commands.executeCommand(COMMANDS.openDiff, m.path);
        return;
      case 'review':
        await vscode.commands.executeCommand(m.action === 'keep' ? COMMANDS.keepFile : COMMANDS.revertFile, m.path);
        return;
      case 'resumeSession':
        await vscode.commands.executeCommand(COMMANDS.resume, m.sessionId);
        return;
      case 'planReview': {
        // A click on a plan that no longer waits (answered elsewhere, the session cancelled) does nothing.
        if (this.plans?.awaiting?.proposal !== m.proposal) return;
        if (m.action === 'cancel') return this.plans.cancel();
        const command = { approve: COMMANDS.approvePlan, edit: COMMANDS.editPlan, replan: COMMANDS.replan }[m.action];
        await vscode.commands.executeCommand(command);
        return;
      }
      case 'messageAgent':
        await vscode.commands.executeCommand(COMMANDS.messageAgent, m.agentId);
        return;
      case 'stopTask':
        await vscode.commands.executeCommand(COMMANDS.stopTask, m.taskId);
        return;
      case 'transcript': {
        const answer = this.feed.transcript(m.sessionId, m.agentId);
        if (answer) this.post(answer);
        return;
      }
      case 'answer':
        this.questions?.answer(m.id, m.answer);
        return;
      case 'chooseCandidate':
        this.questions?.choose(m.id, m.candidateId);
        return;
      case 'openCandidateDiff':
        await vscode.commands.executeCommand(COMMANDS.openCandidateDiff, m.candidateId);
        return;
      case 'openSession': {
        const ref = this.feed.lookup(m.sessionId);
        if (ref) this.focus.set(ref);
        return;
      }
    }
  }

  private disposeView(): void {
    for (const d of this.viewDisposables) d.dispose();
    this.viewDisposables = [];
  }

  dispose(): void {
    this.disposeView();
    for (const d of this.disposables) d.dispose();
  }
}
