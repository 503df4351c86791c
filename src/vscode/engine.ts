// The engine's configuration and provider resolver for a real session: the settings, the keys from
// SecretStorage (then the environment), and `*_BASE_URL` environment overrides (buildResolver).
import * as vscode from 'vscode';
import type { CommandApproval, CommandApprovalRequest } from '../core/session/commands';
import { buildResolver } from '../node/providers';
import type { Engine } from './preflight';
import type { ApiKeys } from './secrets';
import { readSettings } from './settings';

export async function loadEngine(keys: ApiKeys, scope?: vscode.ConfigurationScope): Promise<Engine> {
  const config = readSettings(scope);
  const source = await keys.keySource(Object.keys(config.providers));
  return { config, resolver: buildResolver(config, source, process.env) };
}

/** Asked before the generated tests run when `ensemble.validation.runTests` is "ask". */
export async function askToRunTests(command: string): Promise<boolean> {
  // One pair of choices: "Don't Run" is also what closing the dialog means (no extra Cancel button).
  const run: vscode.MessageItem = { title: 'Run Tests' };
  const dontRun: vscode.MessageItem = { title: "Don't Run", isCloseAffordance: true };
  const choice = await vscode.window.showWarningMessage(
    `Run the generated project's tests with "${command}"?`,
    { modal: true, detail: `Ensemble runs the project's own tests in the workspace, without your API keys in their environment. The setting "Ensemble › Validation: Run Tests" changes whether it asks.` },
    run,
    dontRun,
  );
  return choice === run;
}

export const APPROVAL_CHOICES = { once: 'Allow Once', session: 'Allow for This Session', deny: 'Deny' } as const;

/**
 * Asked when an agent wants to run a command that `ensemble.commands` neither allows nor denies: a
 * modal naming the command, the task and the role. Closing it denies. Nothing runs in Restricted Mode.
 */
export async function askToRunCommand(req: CommandApprovalRequest): Promise<CommandApproval> {
  if (!vscode.workspace.isTrusted) return 'deny';
  const task = req.taskId ? `${req.taskId}${req.taskTitle ? ` — ${req.taskTitle}` : ''}` : '(none)';
  // Three choices, no extra Cancel: Deny is also what closing the dialog (Escape) means.
  const once: vscode.MessageItem = { title: APPROVAL_CHOICES.once };
  const session: vscode.MessageItem = { title: APPROVAL_CHOICES.session };
  const deny: vscode.MessageItem = { title: APPROVAL_CHOICES.deny, isCloseAffordance: true };
  const choice = await vscode.window.showWarningMessage(
    `Ensemble: the ${req.role} agent wants to run a command`,
    {
      modal: true,
      detail: `${req.command}\n\nTask: ${task}\nRole: ${req.role}\nFolder: ${req.cwd === '.' ? 'the workspace folder' : req.cwd}\n\n${req.sandbox ? `It runs in ${req.sandbox}: it can write only the workspace (not its .git or .ensemble folders)` : 'It runs WITHOUT a sandbox: it can do whatever you can'}, without your API keys in its environment. The setting "Ensemble: Commands" decides what runs without asking.`,
    },
    once,
    session,
    deny,
  );
  return choice === once ? 'once' : choice === session ? 'session' : 'deny';
}
