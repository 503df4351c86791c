// Ensemble: Start Orchestration, Start Demo, Resume Session, Cancel Session, Open Report, Message Agent, Stop Task.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { sessionDir } from '../core/store/log';
import { rebuildReport, resumableSessions } from '../core/store/sessions';
import { statusText } from '../core/fold/summary';
import { isWorking } from '../core/fold/state';
import { COMMANDS } from '../protocol';
import type { SessionFocus } from './focus';
import { registerGuarded } from './guard';
import { promptForKey } from './keyCommands';
import { runtime } from './lazy';
import type { Engine } from './preflight';
import type { EngineConfig } from '../core/config';
import { windowRedactor, type ApiKeys } from './secrets';
import { SessionBusyError, type SessionController } from './sessionController';
import { WorkspaceBusyError, workspaceHolder } from '../core/store/lock';

/** The folder a session works in: the only workspace folder, or the one picked. */
async function pickWorkspaceFolder(purpose: string): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (!folders.length) {
    const choice = await vscode.window.showWarningMessage(
      `Ensemble needs a folder to ${purpose}: open one first (or try Ensemble: Start Demo, which asks for one).`,
      'Open Folder',
    );
    if (choice) await vscode.commands.executeCommand('workbench.action.files.openFolder');
    return undefined;
  }
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: `Which folder should Ensemble ${purpose}?` });
  if (folder && !fs.existsSync(folder.uri.fsPath))
    throw new Error(`${folder.name} is not a folder on this machine's disk (${folder.uri.toString()}); Ensemble works on local folders.`);
  return folder;
}

/**
 * Stops before the pre-flight when another session (the CLI's, another window's) holds the folder; the
 * session takes the workspace lock itself when it starts, so this only spares the questions.
 */
function refuseIfBusy(workspace: string, sessionId?: string): void {
  const holder = workspaceHolder(workspace);
  if (holder) throw new WorkspaceBusyError(workspace, holder, holder.sessionId === sessionId);
}

/**
 * The configuration with the `${…}` variables of the MCP servers in use resolved: each `${input:…}`
 * asked once and kept in SecretStorage. Undefined (nothing starts) when the user dismissed an input.
 */
async function withMcpInputs(engine: Engine, workspace: string, keys: ApiKeys): Promise<{ config: EngineConfig; secrets: string[] } | undefined> {
  const rt = runtime();
  try {
    return await rt.resolveMcp(engine, workspace, (i) => keys.mcpInput(i));
  } catch (e) {
    if (!(e instanceof rt.McpConfigError)) throw e;
    void vscode.window
      .showErrorMessage(`Ensemble: ${e.message}`, 'Open Settings')
      .then((c) => c && vscode.commands.executeCommand('workbench.action.openSettings', 'ensemble.mcp'));
    return undefined;
  }
}

export function registerSessionCommands(controller: SessionController, keys: ApiKeys, focus: SessionFocus): vscode.Disposable[] {
  const notBusy = () => {
    if (controller.busy) throw new SessionBusyError(controller.active);
  };

  return [
    registerGuarded(COMMANDS.start, 'start a session', async () => {
      notBusy();
      const goal = (
        await vscode.window.showInputBox({
          title: 'Ensemble: Start Orchestration',
          prompt: 'What should the agents build in this workspace?',
          placeHolder: 'e.g. A todo list web app: a Node.js API, a browser front end and tests',
          ignoreFocusOut: true,
          validateInput: (v) => (v.trim().length < 3 ? 'Describe the goal in a few words.' : undefined),
        })
      )?.trim();
      if (!goal) return;
      const folder = await pickWorkspaceFolder('build in');
      if (!folder) return;
      refuseIfBusy(folder.uri.fsPath);
      const rt = runtime();
      const engine = await rt.runPreflight({
        goal,
        workspace: folder.uri.fsPath,
        load: () => rt.loadEngine(keys, folder.uri),
        setKey: (p) => promptForKey(keys, p),
        chooseModels: async () => vscode.commands.executeCommand(COMMANDS.chooseModels),
      });
      if (!engine) return;
      const mcp = await withMcpInputs(engine, folder.uri.fsPath, keys);
      if (!mcp) return;
      notBusy();
      controller.start({
        goal,
        workspace: folder.uri.fsPath,
        config: mcp.config,
        resolve: (id) => engine.resolver.resolve(id),
        secrets: [...engine.resolver.secrets(), ...mcp.secrets],
      });
    }),

    registerGuarded(COMMANDS.demo, 'start the demo', async () => {
      notBusy();
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        openLabel: 'Run the Demo Here',
        title: 'Ensemble: Choose a Folder for the Demo (a todo app is generated there)',
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      });
      const folder = picked?.[0]?.fsPath;
      if (!folder) return;
      const entries = fs.existsSync(folder) ? fs.readdirSync(folder).filter((n) => n !== '.ensemble' && n !== '.git') : [];
      if (entries.length) {
        const go = await vscode.window.showWarningMessage(
          `${folder} is not empty. The demo creates and may overwrite files there (each change can be reverted from Review Changes). Continue?`,
          { modal: true },
          'Run Demo',
        );
        if (go !== 'Run Demo') return;
      }
      let runTests: 'ask' | 'always' | 'never' = 'ask';
      try {
        runTests = runtime().readSettings().validation.runTests;
      } catch {
        // a broken setting does not stop the demo; the tests are still asked about
      }
      notBusy();
      await controller.startDemo(folder, { runTests });
    }),

    // An optional session id (the panel's session list, scripts, tests) skips the picker.
    registerGuarded(COMMANDS.resume, 'resume a session', async (sessionId?: unknown) => {
      notBusy();
      const folder = await pickWorkspaceFolder('resume a session in');
      if (!folder) return;
      const unfinished = resumableSessions(folder.uri.fsPath);
      if (typeof sessionId === 'string' && !unfinished.some((s) => s.sessionId === sessionId)) {
        return void vscode.window.showInformationMessage(
          `Ensemble: session ${sessionId} cannot be resumed here (it is completed, scripted, or not in this workspace).`,
        );
      }
      if (!unfinished.length)
        return void vscode.window.showInformationMessage(
          'Ensemble: this workspace has no unfinished session to resume (scripted demo sessions cannot be resumed).',
        );
      const pick =
        typeof sessionId === 'string'
          ? { session: unfinished.find((s) => s.sessionId === sessionId)! }
          : await vscode.window.showQuickPick(
              unfinished.map((s) => ({
                label: s.summary.goal || s.sessionId,
                description: `${statusText(s.summary.status)} · ${s.summary.startedAt ? new Date(s.summary.startedAt).toLocaleString() : ''} · ${s.summary.costText}`,
                detail: `${s.sessionId} · ${s.summary.files} file${s.summary.files === 1 ? '' : 's'} changed`,
                session: s,
              })),
              { title: 'Ensemble: Resume Session', placeHolder: 'Which session should continue?' },
            );
      if (!pick) return;
      refuseIfBusy(folder.uri.fsPath, pick.session.sessionId);
      const rt = runtime();
      const engine = await rt.loadEngine(keys, folder.uri);
      const missing = rt.missingKeys(engine.config, engine.resolver.hasKey);
      if (missing.length) {
        const m = missing[0]!;
        const set = await vscode.window.showErrorMessage(`Ensemble: ${rt.missingKeyText(engine.config, m)}.`, `Set ${m.provider} Key`);
        if (set) await promptForKey(keys, m.provider);
        return;
      }
      const gone = rt.blockingUnavailable(engine.lm);
      if (gone.length)
        return void vscode.window.showErrorMessage(
          `Ensemble: ${gone.map((b) => `${b.who} uses ${b.provider}/${b.model}`).join(', ')}, which VS Code does not offer now. Pick one it offers with Ensemble: Choose Models.`,
        );
      if (!(await rt.modelAccess(engine))) return;
      const mcp = await withMcpInputs(engine, folder.uri.fsPath, keys);
      if (!mcp) return;
      notBusy();
      controller.resume({
        dir: pick.session.dir,
        workspace: folder.uri.fsPath,
        config: mcp.config,
        resolve: (id) => engine.resolver.resolve(id),
        secrets: [...engine.resolver.secrets(), ...mcp.secrets],
      });
    }),

    registerGuarded(COMMANDS.cancel, 'cancel a session', () => {
      if (!controller.cancel('cancelled by the user')) void vscode.window.showInformationMessage('Ensemble: no session is running.');
    }),

    // An optional agent id (the panel's buttons) skips the picker; an optional text (scripts, tests) the input box.
    registerGuarded(COMMANDS.messageAgent, 'message an agent', async (agentId?: unknown, text?: unknown) => {
      const handle = controller.active?.handle;
      if (!handle) return void vscode.window.showInformationMessage('Ensemble: no session is running, so there is no agent to message.');
      let id = typeof agentId === 'string' ? agentId : undefined;
      if (!id) {
        const working = Object.values(handle.state.agents).filter(isWorking);
        if (!working.length) return void vscode.window.showInformationMessage('Ensemble: no agent is working right now.');
        const pick = await vscode.window.showQuickPick(
          working.map((a) => ({
            label: `${a.role} (${a.agentId})`,
            description: a.step,
            detail: handle.state.tasks[a.taskId]?.title ?? a.taskId,
            agentId: a.agentId,
          })),
          { title: 'Ensemble: Message Agent', placeHolder: 'Which agent should read your message?' },
        );
        if (!pick) return;
        id = pick.agentId;
      }
      const note =
        typeof text === 'string'
          ? text
          : await vscode.window.showInputBox({
              title: `Ensemble: Message ${id}`,
              prompt: 'The agent reads it before its next model call.',
              placeHolder: 'e.g. Use the existing db.js rather than a new store',
              ignoreFocusOut: true,
              validateInput: (v) => (v.trim() ? undefined : 'Write a message.'),
            });
      if (note === undefined) return;
      handle.messageAgent(id, note);
      return true;
    }),

    // An optional task id (the panel's buttons, scripts, tests) skips the picker.
    registerGuarded(COMMANDS.stopTask, 'stop a task', async (taskId?: unknown) => {
      const handle = controller.active?.handle;
      if (!handle) return void vscode.window.showInformationMessage('Ensemble: no session is running, so there is no task to stop.');
      let id = typeof taskId === 'string' ? taskId : undefined;
      if (!id) {
        const running = handle.state.taskOrder.map((t) => handle.state.tasks[t]!).filter((t) => t.status === 'running' || t.status === 'escalated');
        if (!running.length) return void vscode.window.showInformationMessage('Ensemble: no task is running right now.');
        const pick = await vscode.window.showQuickPick(
          running.map((t) => ({
            label: t.title,
            description: `${t.id} · ${t.role}${t.status === 'escalated' ? ' · with the orchestrator' : ''}`,
            taskId: t.id,
          })),
          { title: 'Ensemble: Stop Task', placeHolder: 'Which task should stop? (The session goes on; the orchestrator decides what becomes of it.)' },
        );
        if (!pick) return;
        id = pick.taskId;
      }
      handle.stopTask(id);
      return true;
    }),

    registerGuarded(COMMANDS.openReport, 'open a report', async () => {
      const ref = controller.active?.ref ?? focus.ref;
      if (!ref) return void vscode.window.showInformationMessage('Ensemble: there is no session yet, so no report.');
      const dir = sessionDir(ref.workspace, ref.sessionId);
      const md = path.join(dir, 'report.md');
      if (controller.active?.ref.sessionId === ref.sessionId)
        return void vscode.window.showInformationMessage('Ensemble: the report is written when the session ends; the panel shows it live meanwhile.');
      // An interrupted session has no report yet: it is a fold of the log, so write it now.
      if (!fs.existsSync(md)) rebuildReport(dir, windowRedactor());
      await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(md));
    }),
  ];
}
