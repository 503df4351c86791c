// While a session runs in this window: one beat, at most every 250 ms after its log grew (and at once
// when it starts), on which the status bar and the progress notification both redraw from the session's
// live fold — so that they show the same figures at the same moment (a view on a timer of its own, or
// one that redraws on some events only, falls behind the others).
import * as vscode from 'vscode';
import type { ActiveSession, SessionController } from './sessionController';

export const TICK_MS = 250;

export class SessionTicker implements vscode.Disposable {
  private readonly _onDidTick = new vscode.EventEmitter<ActiveSession>();
  /** Fires with the running session when its fold may have changed. */
  readonly onDidTick = this._onDidTick.event;
  private readonly disposables: vscode.Disposable[] = [];
  private live: { dispose(): void } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(controller: SessionController) {
    this.disposables.push(
      controller.onDidStart((a) => this.follow(a)),
      controller.onDidEnd(() => this.stop()),
    );
  }

  private follow(a: ActiveSession): void {
    this.stop();
    this.live = a.handle.log.onDidAppend(() => {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this._onDidTick.fire(a);
      }, TICK_MS);
    });
    this._onDidTick.fire(a);
  }

  private stop(): void {
    this.live?.dispose();
    this.live = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.stop();
    for (const d of this.disposables) d.dispose();
    this._onDidTick.dispose();
  }
}
