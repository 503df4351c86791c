// While a session runs: a progress notification with Cancel. When it ends: what happened, with the
// next steps (review the changes, open the report).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { phaseName } from '../core/fold/narrate';
import { COMMANDS } from '../protocol';
import type { ActiveSession, EndedSession, SessionController } from './sessionController';
import { moneyText } from '../core/fold/money';
import { statusText } from '../core/fold/summary';


export class SessionNotifications implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];

  constructor(controller: SessionController) {
    this.disposables.push(
      controller.onDidStart((a) => void this.progress(a)),
      controller.onDidEnd((e) => void this.ended(e)),
    );
  }

  private progress(a: ActiveSession): Thenable<unknown> {
    const title = a.kind === 'demo' ? 'Ensemble demo (scripted answers, no key)' : a.kind === 'resume' ? 'Ensemble (resumed)' : 'Ensemble';
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      const cancel = token.onCancellationRequested(() => a.handle.cancel('cancelled by the user'));
      const s = a.handle.state;
      const message = () => {
        const tasks = s.taskOrder.length;
        const done = s.taskOrder.filter((id) => ['completed', 'failed', 'skipped'].includes(s.tasks[id]!.status)).length;
        const phase = phaseName(s.currentPhase);
        return `${phase}${s.currentPhase === 'development' && tasks ? ` (${done}/${tasks} tasks)` : ''} · ${moneyText(s.money)}`;
      };
      progress.report({ message: message() });
      const sub = a.handle.log.onDidAppend((e) => {
        if (e.type === 'phase.started' || e.type === 'task.completed' || e.type === 'task.failed' || e.type === 'task.skipped') progress.report({ message: message() });
      });
      return a.handle.done.finally(() => {
        sub.dispose();
        cancel.dispose();
      });
    });
  }

  private async ended(e: EndedSession): Promise<void> {
    const s = e.state;
    const files = s.fileOrder.length;
    const summary = `Ensemble session ${statusText(s.status)}${s.error ? ` (${s.error})` : ''}: ${files} file${files === 1 ? '' : 's'} changed · ${moneyText(s.money)}.`;
    const actions = files ? ['Review Changes'] : [];
    if (s.reportFiles.length) actions.push('Open Report');
    if (e.handle.diskFull && e.handle.diskFull.message !== s.error) void vscode.window.showErrorMessage(`Ensemble: ${e.handle.diskFull.message}`);
    const outside = !vscode.workspace.workspaceFolders?.some((f) => path.resolve(f.uri.fsPath) === path.resolve(e.ref.workspace));
    if (outside) actions.push('Open Folder');
    const choice = s.status === 'completed' ? await vscode.window.showInformationMessage(summary, ...actions) : await vscode.window.showWarningMessage(summary, ...actions);
    if (choice === 'Review Changes') await vscode.commands.executeCommand(COMMANDS.reviewChanges);
    if (choice === 'Open Report') await vscode.commands.executeCommand(COMMANDS.openReport);
    if (choice === 'Open Folder') await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(e.ref.workspace), { forceNewWindow: true });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
