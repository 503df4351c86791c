// Which session the panel, the review tree and "Open Report" show: the one running in this window,
// else the one last started or opened here, else the newest in the workspace.
import * as vscode from 'vscode';

export interface SessionRef {
  /** The folder the session worked in (absolute path). */
  workspace: string;
  sessionId: string;
}

export const sameRef = (a: SessionRef | undefined, b: SessionRef | undefined): boolean => a?.sessionId === b?.sessionId && a?.workspace === b?.workspace;

export class SessionFocus implements vscode.Disposable {
  private _ref: SessionRef | undefined;
  private readonly _onDidChange = new vscode.EventEmitter<SessionRef | undefined>();
  readonly onDidChange = this._onDidChange.event;

  get ref(): SessionRef | undefined {
    return this._ref;
  }

  set(ref: SessionRef | undefined): void {
    if (sameRef(ref, this._ref)) return;
    this._ref = ref;
    void vscode.commands.executeCommand('setContext', 'ensemble.hasSession', !!ref);
    this._onDidChange.fire(ref);
  }

  dispose(): void {
    this._onDidChange.dispose();
  }
}
