// Registers a command behind the checks every Ensemble command shares: Restricted Mode refuses with
// an explanation, and a failure becomes a message the user can act on instead of a silent rejection.
import * as vscode from 'vscode';
import { PANEL_VIEW_ID } from './panel';
import { ReviewBusyError } from './reviewService';
import { windowRedactor } from './secrets';
import { SessionBusyError } from './sessionController';
import { runtime, runtimeLoaded } from './lazy';
import { ensureTrusted } from './trust';

export async function showFailure(e: unknown): Promise<void> {
  // A settings error can only come from the session runtime (settings.ts is in it): no need to load it to check.
  if (runtimeLoaded() && e instanceof runtime().SettingsError) return runtime().showSettingsError(e);
  if (e instanceof SessionBusyError) {
    const choice = await vscode.window.showInformationMessage(`${e.message} Only one session runs at a time per window.`, 'Show Session', 'Cancel Session');
    if (choice === 'Show Session') await vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
    if (choice === 'Cancel Session') e.active?.handle.cancel('cancelled by the user');
    return;
  }
  if (e instanceof ReviewBusyError) {
    void vscode.window.showInformationMessage(e.message);
    return;
  }
  void vscode.window.showErrorMessage(windowRedactor().text(`Ensemble: ${e instanceof Error ? e.message : String(e)}`));
}

/** `action` completes "Ensemble cannot … in Restricted Mode". */
export function registerGuarded(id: string, action: string, run: (...args: unknown[]) => unknown): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    if (!ensureTrusted(action)) return undefined;
    try {
      return await run(...args);
    } catch (e) {
      await showFailure(e);
      return undefined;
    }
  });
}
