// The status-bar item while a session runs: its phase and the dollars spent so far, folded from the
// log (the session's live state). Clicking it shows the panel.
import * as vscode from 'vscode';
import { PANEL_VIEW_ID } from './panel';
import type { ActiveSession, SessionController } from './sessionController';
import { moneyText, usdText } from '../core/fold/money';
import { phaseName } from '../core/fold/narrate';

export class SessionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('ensemble.session', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private live: { dispose(): void } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(controller: SessionController) {
    this.item.name = 'Ensemble Session';
    this.item.command = `${PANEL_VIEW_ID}.focus`;
    this.disposables.push(
      controller.onDidStart((a) => this.follow(a)),
      controller.onDidEnd(() => this.stop()),
    );
  }

  private follow(a: ActiveSession): void {
    this.stop();
    const update = () => {
      this.timer = undefined;
      const s = a.handle.state;
      this.item.text = `$(sync~spin) Ensemble: ${phaseName(s.currentPhase)} · ${moneyText(s.money)}`;
      this.item.tooltip = `${a.kind === 'demo' ? '(scripted demo) ' : ''}${s.goal ?? ''}\nBudget: ${s.budget.limitUsd === undefined ? 'none' : `${usdText(s.budget.limitUsd)} (${usdText(s.money.chargedUsd + s.money.reservedUsd)} counted, in-flight calls included)`}\nClick to show the session.`;
      this.item.accessibilityInformation = { label: `Ensemble session, ${phaseName(s.currentPhase)}, spent ${moneyText(s.money)}` };
    };
    update();
    this.item.show();
    this.live = a.handle.log.onDidAppend(() => {
      this.timer ??= setTimeout(update, 250);
    });
  }

  private stop(): void {
    this.live?.dispose();
    this.live = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.item.hide();
  }

  dispose(): void {
    this.stop();
    this.item.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
