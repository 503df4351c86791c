// While a session runs: a progress notification with Cancel, saying what the status bar says, on the
// same beat (sessionTicker.ts). When it ends: how it ended in the same words (summary.ts `outcomeText`:
// the status, the tasks done and those skipped or failed, the files, the money), with the next steps
// (review the changes, open the report).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { outcomeText, progressText } from '../core/fold/summary';
import { COMMANDS } from '../protocol';
import type { ActiveSession, EndedSession, SessionController } from './sessionController';
import type { SessionTicker } from './sessionTicker';

export class SessionNotifications implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** What the progress notification says now (tests). */
  message: string | undefined;

  constructor(
    controller: SessionController,
    private readonly ticker: SessionTicker,
  ) {
    this.disposables.push(
      controller.onDidStart((a) => void this.progress(a)),
      controller.onDidEnd((e) => void this.ended(e)),
    );
  }

  private progress(a: ActiveSession): Thenable<unknown> {
    const title = a.kind === 'demo' ? 'Ensemble demo (scripted answers, no key)' : a.kind === 'resume' ? 'Ensemble (resumed)' : 'Ensemble';
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      const cancel = token.onCancellationRequested(() => a.handle.cancel('cancelled by the user'));
      const report = () => progress.report({ message: (this.message = progressText(a.handle.state)) });
      report();
      const sub = this.ticker.onDidTick((x) => {
        if (x === a) report();
      });
      return a.handle.done.finally(() => {
        sub.dispose();
        cancel.dispose();
        this.message = undefined;
      });
    });
  }

  private async ended(e: EndedSession): Promise<void> {
    const s = e.state;
    const files = s.fileOrder.length;
    const summary = `Ensemble session ${outcomeText(s)}.`;
    const actions = files ? ['Review Changes'] : [];
    if (s.reportFiles.length) actions.push('Open Report');
    if (e.handle.diskFull && e.handle.diskFull.message !== s.error) void vscode.window.showErrorMessage(`Ensemble: ${e.handle.diskFull.message}`);
    const outside = !vscode.workspace.workspaceFolders?.some((f) => path.resolve(f.uri.fsPath) === path.resolve(e.ref.workspace));
    if (outside) actions.push('Open Folder');
    const choice =
      s.status === 'completed' ? await vscode.window.showInformationMessage(summary, ...actions) : await vscode.window.showWarningMessage(summary, ...actions);
    if (choice === 'Review Changes') await vscode.commands.executeCommand(COMMANDS.reviewChanges);
    if (choice === 'Open Report') await vscode.commands.executeCommand(COMMANDS.openReport);
    if (choice === 'Open Folder') await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(e.ref.workspace), { forceNewWindow: true });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
