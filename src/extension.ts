// Wiring only: creates the extension's services and registers them in context.subscriptions.
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('ensemble.start', () => vscode.window.showInformationMessage('Ensemble: the orchestration command arrives with the extension issue.')),
    vscode.commands.registerCommand('ensemble.demo', () => vscode.window.showInformationMessage('Ensemble: run `npm run demo` for the offline demo.')),
  );
}

export function deactivate(): void {}
