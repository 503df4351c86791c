// The run_command tool: a shell command an agent asks to run in the workspace. The `commands` policy
// decides (src/core/session/command-policy.ts), else the user when they can be asked (the
// ApproveCommand port: the panel and a notification in VS Code, a prompt on the CLI's terminal); nobody
// to ask means denied. An approved command runs through the CommandRunner port (in the sandbox where
// there is one) with the allow-listed environment (never a key), in a folder inside the workspace,
// killed whole at its timeout or on cancel; the files it created, changed or deleted are the task's,
// like its writes (the ChangeTracker port, through SessionFiles.beforeCommand/afterCommand). Every
// request, decision and result is an event.

import * as path from 'node:path';
import type { CommandPolicy } from '../config';
import type { EventSink } from '../events';
import type { SessionState } from '../fold/state';
import { isProtectedPath, normaliseRelative, PathError, protectedError, quote } from '../paths';
import type { CommandRunner, FileStore, ProcessResult } from '../ports';
import { childEnv } from '../quality/validation';
import type { SessionFiles } from '../store/workspace';
import { normaliseCommand, policyVerdict } from './command-policy';
import { parseToolArgs } from './tools';

/** The most of a command's output (its end) an agent sees and the log keeps. */
export const COMMAND_TAIL_CHARS = 16 * 1024;

/** What the user is shown when asked. */
export interface CommandApprovalRequest {
  command: string;
  /** Workspace-relative folder it would run in. */
  cwd: string;
  role: string;
  agentId: string;
  taskId?: string;
  taskTitle?: string;
  /** The sandbox it would run in ("bubblewrap 0.8.0"); null: none would confine it (the user is told). */
  sandbox: string | null;
}

/** `once`: this request runs; `session`: this command runs whenever asked again in this session; `deny`: not run. */
export type CommandApproval = 'once' | 'session' | 'deny';

/** Asks the user (VS Code: the panel and a notification; CLI: a prompt on the terminal). Absent: nobody can be asked. */
export type ApproveCommand = (request: CommandApprovalRequest, signal: AbortSignal) => Promise<CommandApproval>;

/** The user's questions, one at a time: parallel agents must not prompt over each other (run_command's and MCP calls' share one). */
export class Questions {
  private last: Promise<unknown> = Promise.resolve();

  turn<T>(ask: () => Promise<T>): Promise<T> {
    const t = this.last.then(ask);
    this.last = t.catch(() => undefined);
    return t;
  }
}

export interface CommandToolDeps {
  policy: CommandPolicy;
  runner: CommandRunner;
  store: FileStore;
  files: SessionFiles;
  sink: EventSink;
  /** The live fold: numbers the requests and holds this session's approvals (also those before a resume). */
  state: SessionState;
  workspace: string;
  signal: AbortSignal;
  approve?: ApproveCommand;
  /** Shared with the session's other questions; a queue of its own when absent. */
  questions?: Questions;
}

/** Who asks: the agent, its task, and the route it is on (the files a command changes are theirs). */
export interface CommandCaller {
  agentId: string;
  taskId?: string;
  role: string;
  provider: string;
  model: string;
}

export type CommandToolResult = {
  result: string;
  isError?: boolean;
  failed?: boolean;
  /** For the transcript: what happened, in a few words. */ summary?: string;
};

type Decision = { decision: 'allowed' | 'approved' | 'denied'; by: 'policy' | 'user'; scope?: 'once' | 'session'; reason: string };

export class CommandTool {
  /** Questions to the user, one at a time (parallel agents must not prompt over each other). */
  private readonly questions: Questions;

  constructor(private readonly deps: CommandToolDeps) {
    this.questions = deps.questions ?? new Questions();
  }

  /**
   * The same tool (policy, approvals, questions) working in another folder through another store: a
   * candidate's copy of the workspace, whose commands run confined to it.
   */
  inCopy(copy: Pick<CommandToolDeps, 'runner' | 'store' | 'files' | 'workspace'>): CommandTool {
    return new CommandTool({ ...this.deps, ...copy, questions: this.questions });
  }

  /** Whether agents are offered run_command at all (not when the policy is `never`). */
  get offered(): boolean {
    return this.deps.policy.run !== 'never';
  }

  /**
   * Handles one run_command call. `failed`: the call itself was wrong (a tool error); a denial is not a
   * failure. `signal`: the caller's work (its task's, which the session's cancel also aborts): when it
   * aborts, the question to the user is withdrawn and the command killed.
   */
  async run(args: unknown, who: CommandCaller, signal: AbortSignal = this.deps.signal): Promise<CommandToolResult> {
    const { sink, policy, state } = this.deps;
    const a = parseToolArgs('run_command', args);
    if (!a.ok) return { result: a.error, isError: true, failed: true };
    let cwd: string;
    try {
      cwd = await this.folder(a.value.cwd ?? '.');
    } catch (e) {
      return { result: (e as Error).message, isError: true, failed: true };
    }
    const command = a.value.command.trim();
    const timeoutMs = Math.min(a.value.timeoutMs ?? policy.timeoutMs, policy.timeoutMs);
    const commandId = `c${state.commandOrder.length + 1}`;
    sink.emit({ type: 'command.requested', commandId, agentId: who.agentId, taskId: who.taskId, role: who.role, command, cwd, timeoutMs });
    const d = await this.decide(command, cwd, who, signal);
    sink.emit({ type: 'command.decided', commandId, ...d });
    if (d.decision === 'denied')
      return {
        result: `The command was not run: ${d.by === 'user' ? 'the user denied it' : d.reason}. Carry on without it (say in your summary what you could not check).`,
        isError: true,
        summary: `not run: ${d.by === 'user' ? 'you denied it' : 'denied by the policy'}`,
      };
    const { run, files } = await this.launch(commandId, command, cwd, timeoutMs, signal, { ...who, commandId });
    const how = run.timedOut
      ? `was killed at its timeout (${timeoutMs} ms)`
      : run.cancelled
        ? `was killed: ${this.stopped()}`
        : `exited with code ${run.exitCode ?? '(none: it could not start or was killed)'}`;
    const lines = [`\`${command}\` ${how} after ${run.durationMs} ms.`];
    if (files.length) lines.push(`Files it changed: ${files.map((f) => `${f.path} (${f.change})`).join(', ')}.`);
    lines.push(
      run.output.trim()
        ? `Output${run.omittedChars ? ` (its last ${run.output.length} characters; ${run.omittedChars} characters before them were cut)` : ''}:\n${run.output}`
        : 'It printed nothing.',
    );
    return { result: lines.join('\n'), isError: run.exitCode === null, summary: `${how} after ${run.durationMs} ms` }; // a failing exit code is an answer, not an error
  }

  /** The workspace-relative folder to run in: inside the workspace, not in .git/.ensemble, and existing. */
  private async folder(cwd: string): Promise<string> {
    const rel = normaliseRelative(cwd);
    if (isProtectedPath(rel)) throw protectedError(cwd);
    const st = await this.deps.store.stat(rel); // the store's rules also refuse a link that leads out
    if (!st) throw new PathError(cwd, 'invalid', `Refused cwd ${quote(cwd)}: no such folder in the workspace.`);
    if (st.type !== 'dir') throw new PathError(cwd, 'invalid', `Refused cwd ${quote(cwd)}: it is a file, not a folder.`);
    return rel;
  }

  /** Why the caller's signal aborted: the session's cancel, else the user's Stop Task. */
  private stopped(): string {
    return this.deps.signal.aborted ? 'the session was cancelled' : 'its task was stopped';
  }

  /**
   * Runs a best-of candidate's check (candidates.ts) in the folder this tool works in, logged like any
   * command of its agent. It is the plan's or the user's command, so the policy allows it for this
   * purpose (also when `run` is "never"); where no sandbox confines it (and `commands.sandbox` is
   * "auto") it is asked like any command. Resolves the run, or why it was not run.
   */
  async runCheck(command: string, who: CommandCaller, signal: AbortSignal): Promise<ProcessResult | { denied: string }> {
    const { sink, policy, state } = this.deps;
    const commandId = `c${state.commandOrder.length + 1}`;
    sink.emit({
      type: 'command.requested',
      commandId,
      agentId: who.agentId,
      taskId: who.taskId,
      role: who.role,
      command,
      cwd: '.',
      timeoutMs: policy.timeoutMs,
    });
    const sandboxed = !!state.sandbox?.sandbox;
    const verdict =
      !sandboxed && policy.sandbox !== 'off'
        ? ({ kind: 'ask', why: "no sandbox would confine the task's check, so it is asked" } as const)
        : ({ kind: 'allowed', reason: "it is the task's check, which judges its candidates" } as const);
    const d: Decision =
      verdict.kind === 'allowed'
        ? { decision: 'allowed', by: 'policy', reason: verdict.reason }
        : await this.questions.turn(() => this.ask(command, '.', who, signal, verdict.why));
    sink.emit({ type: 'command.decided', commandId, ...d });
    if (d.decision === 'denied') return { denied: d.by === 'user' ? 'you denied it' : d.reason };
    return (await this.launch(commandId, command, '.', policy.timeoutMs, signal)).run;
  }

  /**
   * Runs an allowed command in folder `cwd` (workspace-relative) and logs its end (`command.ran`), with
   * the files it changed when `track` says whose they are (a check's writes are nobody's change).
   */
  private async launch(
    commandId: string,
    command: string,
    cwd: string,
    timeoutMs: number,
    signal: AbortSignal,
    track?: CommandCaller & { commandId: string },
  ): Promise<{ run: ProcessResult; files: { path: string; change: 'created' | 'modified' | 'deleted' }[] }> {
    const before = track && (await this.deps.files.beforeCommand());
    const run = await this.deps.runner.run({
      command,
      shell: true,
      cwd: path.join(this.deps.workspace, cwd),
      env: childEnv(process.env),
      timeoutMs,
      signal,
      maxOutputChars: COMMAND_TAIL_CHARS,
    });
    const files = before && track ? await this.deps.files.afterCommand(before, track) : [];
    this.deps.sink.emit({
      type: 'command.ran',
      commandId,
      exitCode: run.exitCode,
      timedOut: run.timedOut,
      cancelled: run.cancelled,
      durationMs: run.durationMs,
      outputTail: run.output,
      omittedChars: run.omittedChars,
      files,
    });
    return { run, files };
  }

  private async decide(command: string, cwd: string, who: CommandCaller, signal: AbortSignal): Promise<Decision> {
    const verdict = policyVerdict(this.deps.policy, command, !!this.deps.state.sandbox?.sandbox);
    if (verdict.kind !== 'ask') return { decision: verdict.kind, by: 'policy', reason: verdict.reason };
    return this.questions.turn(() => this.ask(command, cwd, who, signal, verdict.why));
  }

  /** `why`: what made it a question when the policy alone would have allowed it (no sandbox). */
  private async ask(command: string, cwd: string, who: CommandCaller, signal: AbortSignal, why?: string): Promise<Decision> {
    const { state, approve } = this.deps;
    const approvedBefore = Object.values(state.commands).some(
      (c) => c.decision === 'approved' && c.scope === 'session' && normaliseCommand(c.command) === normaliseCommand(command),
    );
    if (approvedBefore) return { decision: 'approved', by: 'user', scope: 'session', reason: 'the user allowed this command for the session earlier' };
    if (signal.aborted) return { decision: 'denied', by: 'policy', reason: this.stopped() };
    if (!approve)
      return { decision: 'denied', by: 'policy', reason: `${why ?? 'it matches no pattern of commands.allow'} and nobody can be asked (no terminal)` };
    const request: CommandApprovalRequest = {
      command,
      cwd,
      role: who.role,
      agentId: who.agentId,
      taskId: who.taskId,
      taskTitle: who.taskId ? state.tasks[who.taskId]?.title : undefined,
      sandbox: state.sandbox?.sandbox ?? null,
    };
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<'cancelled'>((resolve) => signal.addEventListener('abort', (onAbort = () => resolve('cancelled')), { once: true }));
    try {
      const answer = await Promise.race([approve(request, signal).catch((e: unknown) => ({ failed: e instanceof Error ? e.message : String(e) })), cancelled]);
      if (answer === 'cancelled') return { decision: 'denied', by: 'policy', reason: this.stopped() };
      if (typeof answer === 'object') return { decision: 'denied', by: 'policy', reason: `the user could not be asked (${answer.failed})` };
      if (answer === 'deny') return { decision: 'denied', by: 'user', reason: 'the user denied it' };
      return {
        decision: 'approved',
        by: 'user',
        scope: answer,
        reason: answer === 'session' ? 'the user allowed it for this session' : 'the user allowed it once',
      };
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}
