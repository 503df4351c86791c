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
  private settled = false;
  private readonly _onDidChange = new vscode.EventEmitter<SessionRef | undefined>();
  readonly onDidChange = this._onDidChange.event;

  /** `newest`: the workspace's newest session, asked the first time the focus is read (never at activation: it may fold logs). */
  constructor(private readonly newest: () => SessionRef | undefined = () => undefined) {}

  get ref(): SessionRef | undefined {
    if (!this.settled) {
      // No one has seen another focus yet, so this is no change to announce.
      this.settled = true;
      this._ref = this.newest();
      if (this._ref) void vscode.commands.executeCommand('setContext', 'ensemble.hasSession', true);
    }
    return this._ref;
  }

  set(ref: SessionRef | undefined): void {
    this.settled = true;
    if (sameRef(ref, this._ref)) return;
    this._ref = ref;
    void vscode.commands.executeCommand('setContext', 'ensemble.hasSession', !!ref);
    this._onDidChange.fire(ref);
  }

  dispose(): void {
    this._onDidChange.dispose();
  }
}
