// Restricted Mode. package.json declares `untrustedWorkspaces.supported: false`, so VS Code does not
// even activate Ensemble in an untrusted workspace; every command still checks, in case it is reached
// some other way, and says why it will not run.
import * as vscode from 'vscode';
import type { EngineConfig } from '../core/config';

/** Why `action` may not run, or undefined when the workspace is trusted. Pure: testable. */
export function trustRefusal(action: string, isTrusted: boolean): string | undefined {
  if (isTrusted) return undefined;
  return `Ensemble cannot ${action} in Restricted Mode: it writes files into the workspace and can run the project's tests, so it only runs in a trusted workspace.`;
}

/** True when trusted; otherwise explains (with a way to manage trust) and returns false. */
export function ensureTrusted(action: string, isTrusted: boolean = vscode.workspace.isTrusted): boolean {
  const refusal = trustRefusal(action, isTrusted);
  if (!refusal) return true;
  void vscode.window.showWarningMessage(refusal, 'Manage Workspace Trust').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

/** The configuration a session may run with: in an untrusted workspace agents run no command at all. Pure. */
export function withTrust(config: EngineConfig, isTrusted: boolean): EngineConfig {
  return isTrusted ? config : { ...config, commands: { ...config.commands, run: 'never' } };
}
