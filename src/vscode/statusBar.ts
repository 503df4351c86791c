// The status-bar item while a session runs: its phase, tasks and dollars so far, in the words of the
// progress notification (summary.ts `progressText`), redrawn on the same beat (sessionTicker.ts).
// Clicking it shows the panel.
import * as vscode from 'vscode';
import { spendText } from '../core/fold/money';
import { progressText } from '../core/fold/summary';
import { PANEL_VIEW_ID } from './panel';
import type { SessionController } from './sessionController';
import type { SessionTicker } from './sessionTicker';

export class SessionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ensemble.session', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];

  constructor(controller: SessionController, ticker: SessionTicker) {
    this.item.name = 'Ensemble Session';
    this.item.command = `${PANEL_VIEW_ID}.focus`;
    this.disposables.push(
      ticker.onDidTick((a) => {
        const s = a.handle.state;
        const line = progressText(s);
        const spend = spendText(s.money, s.budget.limitUsd);
        this.item.text = `$(sync~spin) Ensemble: ${line}`;
        this.item.tooltip = `${a.kind === 'demo' ? '(scripted demo) ' : ''}${s.goal ?? ''}\n${spend.spent}${spend.counted ? `; ${spend.counted}` : ''}.\nClick to show the session.`;
        this.item.accessibilityInformation = { label: `Ensemble session: ${line}` };
        this.item.show();
      }),
      controller.onDidEnd(() => this.item.hide()),
    );
  }

  /** What the item says now (tests). */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
