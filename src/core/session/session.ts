// A session, from goal to report: Setup → Planning → Development → Integration → Validation →
// Report, each phase's start and end an event. `startSession` begins one; `resumeSession` folds an
// existing log and continues what is unfinished (also after the process was killed).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EVENT_VERSION, type EnsembleEvent, type EventBody, type Phase, type SessionStatus, type TaskSpec } from '../events';
import type {
  CandidateChooser,
  ChangeTracker,
  ChatProvider,
  Clock,
  CommandRunner,
  FileStore,
  McpClient,
  PlanReviewer,
  Sandbox,
  TextSearch,
  WorkspaceCopier,
} from '../ports';
import { systemClock } from '../ports';
import { modelsInUse, type EngineConfig } from '../config';
import { EventLog, sessionDir } from '../store/log';
import { applyEvent, foldEvents, initialState, type SessionState } from '../fold/state';
import { followLog, writeReportFiles } from '../store/sessions';
import { BlobStore } from '../store/blobs';
import { SessionFiles, type DirtyCheck } from '../store/workspace';
import { Budget, BudgetExhaustedError } from '../money/budget';
import { ModelCaller } from './caller';
import { pricingFor, type Pricing } from '../money/pricing';
import type { SessionContext } from './context';
import { runPlanning } from './planner';
import { loadRules } from './rules';
import { runDevelopment } from './development';
import { runIntegration, runValidation } from './phases';
import { estimateSessionCost } from '../money/estimate';
import { Redactor } from '../redact';
import { CommandTool, Questions, type ApproveCommand } from './commands';
import { McpHub, type ApproveMcpCall } from './mcp';
import { mcpSecrets } from '../mcp-config';
import { Steering } from './steering';
import { SandboxedRunner } from './sandbox';
import { ContextWindows } from './compaction';
import { acquireWorkspaceLock, WorkspaceBusyError, type WorkspaceLock } from '../store/lock';
import { DiskFullError, diskFullError } from '../store/disk';
import { reportUnexpectedError } from '../emitter';

export interface EngineDeps {
  workspace: string;
  store: FileStore;
  /** The provider for an id, or undefined when it has no key. */
  resolve: (providerId: string) => ChatProvider | undefined;
  clock?: Clock;
  /** Asked before the generated tests run when `validation.runTests` is "ask"; `signal` aborts when the session is cancelled (the question is then withdrawn). */
  consent?: (command: string, signal?: AbortSignal) => Promise<boolean>;
  /**
   * Every secret value of this session (keys, credential headers): redacted from the log and the
   * report wherever it appears, e.g. in a provider's error body that echoes the key it was sent.
   */
  secrets?: readonly string[];
  /** Whether an editor holds unsaved changes to a file: an agent never writes under them (VS Code). */
  isDirty?: DirtyCheck;
  /**
   * Asked once a valid plan is proposed, when `planApproval` is "ask": approve, an edited plan, feedback
   * for a new plan, or cancel. It is asked again with the errors when an edit breaks submit_plan's rules.
   */
  reviewPlan?: PlanReviewer;
  /** Runs the generated tests and the agents' commands (src/node/command-runner.ts). */
  runner: CommandRunner;
  /** Searches the workspace's files for search_files (ripgrep: src/node/ripgrep.ts); without it they are read through `store`. */
  search?: TextSearch;
  /**
   * Confines what `runner` starts (src/node/sandbox.ts), probed at the start of every run. Absent or
   * unavailable: processes run without one, and no command runs unasked unless `commands.sandbox` is "off".
   */
  sandbox?: Sandbox;
  /**
   * Asked when an agent wants to run a command the `commands` policy neither allows nor denies (run:
   * "ask"). Absent: nobody can be asked (the CLI without a terminal), and such a command is denied.
   */
  approveCommand?: ApproveCommand;
  /**
   * Makes the session's ChangeTracker (what a command changed: src/node/changes.ts watches the workspace
   * and asks git); called when the session starts, closed when it ends. Absent: the store's listings
   * compared (src/core/store/workspace-snapshot.ts).
   */
  changes?: () => ChangeTracker;
  /**
   * What started the session (`ensemble run`, `ensemble resume <id>`, `VS Code: Start Orchestration`):
   * the workspace lock names it to a second session that would start there meanwhile.
   */
  command?: string;
  /** Connects to the MCP servers the roles select (src/node/mcp-client.ts). Absent: no MCP tool is offered. */
  mcp?: McpClient;
  /**
   * Asked when an agent calls an MCP tool the `mcp` policy neither allows nor denies (run: "ask").
   * Absent: nobody can be asked, and such a call is denied.
   */
  approveMcp?: ApproveMcpCall;
  /** Makes the private copies best-of-several candidates work in (src/node/copies.ts). Absent: a task with candidates is done by its role alone, and the log says why. */
  copies?: WorkspaceCopier;
  /** Asked which candidate to apply when `candidateApproval` is "ask" (absent: nobody can be asked, and the verdict's candidate is applied). */
  chooseCandidate?: CandidateChooser;
}

/** The workspace cannot hold the session's log (read-only, or not ours to write). */
export class WorkspaceNotWritableError extends Error {
  constructor(
    readonly workspace: string,
    readonly code: string,
  ) {
    super(
      code === 'ENOENT'
        ? `The workspace ${workspace} does not exist (or a folder on the way to .ensemble/sessions is missing).`
        : `The workspace ${workspace} is read-only${code === 'EROFS' ? '' : ' for you'} (${code}): Ensemble could not create .ensemble/sessions there. It keeps its log in the workspace and its agents write files there; open a folder you can write to.`,
    );
    this.name = 'WorkspaceNotWritableError';
  }
}

const NOT_WRITABLE = ['EROFS', 'EACCES', 'EPERM', 'ENOENT'];

/** `e`, as a WorkspaceNotWritableError when it says the workspace cannot be written. */
export function workspaceError(workspace: string, e: unknown): unknown {
  let code = (e as NodeJS.ErrnoException)?.code ?? '';
  if (code === 'ENOENT' && fs.existsSync(workspace)) {
    // A recursive mkdir on a read-only filesystem can report ENOENT (the missing parent) rather than EROFS.
    try {
      fs.accessSync(workspace, fs.constants.W_OK);
    } catch (a) {
      code = (a as NodeJS.ErrnoException).code ?? code;
    }
  }
  return NOT_WRITABLE.includes(code) ? new WorkspaceNotWritableError(workspace, code) : e;
}

function openLog(workspace: string, dir: string, clock: Clock, redactor: Redactor): EventLog {
  try {
    return EventLog.open(dir, clock, redactor);
  } catch (e) {
    throw diskFullError(e, dir, 'the event log') ?? workspaceError(workspace, e);
  }
}

/** The workspace for this session alone (see store/lock.ts): a second session there stops with WorkspaceBusyError. */
function lockWorkspace(deps: EngineDeps, sessionId: string): WorkspaceLock {
  try {
    return acquireWorkspaceLock(deps.workspace, { sessionId, command: deps.command ?? 'ensemble' });
  } catch (e) {
    if (e instanceof WorkspaceBusyError) throw e;
    throw diskFullError(e, path.join(deps.workspace, '.ensemble'), 'the workspace lock') ?? workspaceError(deps.workspace, e);
  }
}

/** Opens the session's log under the workspace lock, and runs it; the lock is given back if it cannot start. */
function underLock(deps: EngineDeps, sessionId: string, dir: string, start: (log: EventLog, lock: WorkspaceLock) => SessionHandle): SessionHandle {
  const lock = lockWorkspace(deps, sessionId);
  let log: EventLog | undefined;
  try {
    log = openLog(deps.workspace, dir, deps.clock ?? systemClock, new Redactor(deps.secrets));
    return start(log, lock);
  } catch (e) {
    log?.close();
    lock.release();
    throw e;
  }
}

export interface SessionHandle {
  readonly sessionId: string;
  readonly dir: string;
  readonly log: EventLog;
  /** The live fold; also see `log.onDidAppend`. */
  readonly state: SessionState;
  /** Settles with the final state when the session has ended (it never rejects). */
  readonly done: Promise<SessionState>;
  cancel(reason?: string): void;
  /**
   * Sends a working agent a note, appended to its conversation before its next model call (logged as
   * `agent.messaged` now). Throws an Error saying why when the agent is not working or the note is empty.
   */
  messageAgent(agentId: string, text: string): void;
  /** Set when the session stopped because a disk was full (or its report could not be written for that): which disk, which folder. */
  readonly diskFull: DiskFullError | undefined;
  /** False when the log could not take the session's end (a full disk): it then reads as interrupted. */
  readonly logComplete: boolean;
  /**
   * Stops one running task without cancelling the session (logged as `task.stopped`): its agent's
   * request is aborted and the task is escalated to the orchestrator with the reason "stopped by the
   * user"; stopped again while the orchestrator handles it, it is skipped. Stopping a stopped task
   * that has no running work (the stop is taking effect, or it ended since) does nothing and logs
   * nothing. Throws when it is not running and was never stopped.
   */
  stopTask(taskId: string): void;
}

export function newSessionId(now = Date.now()): string {
  const d = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${d}-${randomBytes(3).toString('hex')}`;
}

/** `plan`: run this plan (a plan file) instead of asking the orchestrator for one; it is proposed like the orchestrator's. */
export function startSession(opts: {
  goal: string;
  config: EngineConfig;
  deps: EngineDeps;
  sessionId?: string;
  scripted?: boolean;
  plan?: { rationale: string; tasks: TaskSpec[] };
}): SessionHandle {
  const sessionId = opts.sessionId ?? newSessionId();
  const cfg = opts.config;
  const snapshot = { orchestrator: cfg.orchestrator, roles: cfg.roles, maxConcurrency: cfg.maxConcurrency, budgetUsd: cfg.budgetUsd, bestOf: cfg.bestOf };
  return underLock(withMcpSecrets(opts.deps, opts.config), sessionId, sessionDir(opts.deps.workspace, sessionId), (log, lock) =>
    run(
      log,
      lock,
      sessionId,
      opts.goal,
      cfg,
      opts.deps,
      false,
      { type: 'session.started', sessionId, goal: opts.goal, config: JSON.parse(JSON.stringify(snapshot)), scripted: opts.scripted },
      opts.plan,
    ),
  );
}

/** The deps with the MCP servers' secrets (header values, secret-named env values) among those the log redacts. */
function withMcpSecrets(deps: EngineDeps, config: EngineConfig): EngineDeps {
  const more = mcpSecrets(config);
  return more.length ? { ...deps, secrets: [...(deps.secrets ?? []), ...more] } : deps;
}

/** Continues a session from its log (its folder under .ensemble/sessions). */
export function resumeSession(opts: { dir: string; config: EngineConfig; deps: EngineDeps }): SessionHandle {
  if (!fs.existsSync(path.join(opts.dir, 'events.jsonl'))) throw new Error(`No session log at ${path.join(opts.dir, 'events.jsonl')}.`);
  // Locked before the log is even opened (opening it cuts a partial last line): a run of this session may be writing it.
  return underLock(withMcpSecrets(opts.deps, opts.config), path.basename(opts.dir), opts.dir, (log, lock) => {
    const before = foldEvents(log.existing);
    if (!before.sessionId || !before.goal) throw new Error(`${opts.dir} does not hold a session that started.`);
    if (before.status === 'completed') throw new Error(`Session ${before.sessionId} already completed; there is nothing to resume.`);
    const reason = before.status === 'running' ? 'the previous run was interrupted' : `the previous run ended ${before.status}`;
    return run(log, lock, before.sessionId, before.goal, opts.config, opts.deps, true, { type: 'session.resumed', reason });
  });
}

/** `store`, telling `onFull` when a write of it fails because the disk is full (the write still fails as before). */
function watchingDisk(store: FileStore, workspace: string, onFull: (e: DiskFullError) => void): FileStore {
  const watched =
    (op: 'write' | 'remove') =>
    async (p: string, ...rest: unknown[]) => {
      try {
        return await (store[op] as (p: string, ...rest: unknown[]) => Promise<void>).call(store, p, ...rest);
      } catch (e) {
        const full = diskFullError(e, workspace, p);
        if (full) onFull(full);
        throw e;
      }
    };
  const write = watched('write');
  const remove = watched('remove');
  // Every other member (including ones the port may gain) is the store's own.
  return new Proxy(store, {
    get: (target, prop) => {
      if (prop === 'write') return write;
      if (prop === 'remove') return remove;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function run(
  log: EventLog,
  lock: WorkspaceLock,
  sessionId: string,
  goal: string,
  config: EngineConfig,
  deps: EngineDeps,
  resumed: boolean,
  first: EventBody,
  givenPlan?: SessionContext['givenPlan'],
): SessionHandle {
  const clock = deps.clock ?? systemClock;
  const state = foldEvents(log.existing, initialState());
  followLog(log, state);
  const controller = new AbortController();
  // A full disk (the log, the blobs, a workspace file, the report) stops the session: nothing can go on usefully.
  let diskFull: DiskFullError | undefined;
  const onFull = (e: DiskFullError) => {
    diskFull ??= e;
    if (!controller.signal.aborted) controller.abort(diskFull);
  };
  log.onDiskFull(onFull);
  log.emit(first);
  const store = watchingDisk(deps.store, deps.workspace, onFull);
  const pricing = pricingFor(config);
  // The cap counts what the log says was charged: a resumed run starts where the last one stopped.
  const budget = new Budget(config.budgetUsd, state.money);
  const blobs = new BlobStore(path.dirname(log.file), onFull);
  const files = new SessionFiles(store, blobs, log, deps.isDirty, deps.changes?.());
  files.restore(log.existing);
  let agentCounter = Object.keys(state.agents).length;
  const runner = new SandboxedRunner({ runner: deps.runner, sandbox: deps.sandbox, policy: config.commands, workspace: deps.workspace, state });
  const questions = new Questions();
  const mcp =
    deps.mcp &&
    new McpHub({
      client: deps.mcp,
      config,
      sink: log,
      state,
      files,
      workspace: deps.workspace,
      signal: controller.signal,
      sandbox: deps.sandbox,
      approve: deps.approveMcp,
      questions,
    });
  const ctx: SessionContext = {
    sessionId,
    dir: path.dirname(log.file),
    workspace: deps.workspace,
    goal,
    config,
    sink: log,
    state,
    files,
    blobs,
    store,
    copies: deps.copies,
    chooseCandidate: deps.chooseCandidate,
    search: deps.search,
    budget,
    clock,
    signal: controller.signal,
    resolve: deps.resolve,
    consent: deps.consent,
    runner,
    commands: new CommandTool({
      policy: config.commands,
      runner,
      store,
      files,
      sink: log,
      state,
      workspace: deps.workspace,
      signal: controller.signal,
      approve: deps.approveCommand,
      questions,
    }),
    mcp,
    resumed,
    steering: new Steering(log, state, controller.signal),
    rules: '',
    reviewPlan: deps.reviewPlan,
    givenPlan,
    cancel: (reason) => controller.abort(new CancelledError(reason)),
    windows: new ContextWindows(config, (ref) => pricing.contextWindow(ref)),
    caller: new ModelCaller({
      sink: log,
      clock,
      budget,
      pricing,
      resolve: deps.resolve,
      retry: config.retry,
      providerLimit: (id) => config.providers[id]?.maxConcurrency ?? config.maxConcurrency,
      signal: controller.signal,
      redactor: log.redactor,
    }),
    nextAgentId: (role) => `${role}-${++agentCounter}`,
  };
  const ending = { logComplete: true, onFull };
  const done = drive(ctx, log, pricing, runner, ending)
    .catch((e: unknown) => settleAfterCrash(log, state, e, ending))
    .finally(async () => {
      await mcp?.close().catch(() => undefined); // a session that crashed still stops its servers
      await deps.copies?.close?.().catch(() => undefined); // the candidates' copies kept between races
      files.close();
      // Every event is written already: a failing close (the file only released) is reported, never rejects `done`.
      try {
        log.close();
      } catch (e) {
        reportUnexpectedError(e);
      } finally {
        lock.release();
      }
    });
  return {
    sessionId,
    dir: ctx.dir,
    log,
    state,
    done,
    cancel: (reason) => ctx.cancel(reason ?? 'cancelled by the user'),
    messageAgent: (agentId, text) => ctx.steering.message(agentId, text),
    stopTask: (taskId) => ctx.steering.stop(taskId),
    get diskFull() {
      return diskFull;
    },
    get logComplete() {
      return ending.logComplete;
    },
  };
}

/** How the session's end went: whether the log took it, and where a full disk is reported. */
interface Ending {
  logComplete: boolean;
  onFull: (e: DiskFullError) => void;
}

export class CancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

async function phase(ctx: SessionContext, name: Phase, body: () => Promise<'ok' | 'failed' | 'skipped' | void>): Promise<void> {
  const done = ctx.state.phases.some((p) => p.name === name && p.outcome === 'ok');
  if (done) return;
  checkpoint(ctx);
  ctx.sink.emit({ type: 'phase.started', phase: name });
  try {
    const outcome = (await body()) ?? 'ok';
    checkpoint(ctx);
    ctx.sink.emit({ type: 'phase.ended', phase: name, outcome });
  } catch (e) {
    ctx.sink.emit({ type: 'phase.ended', phase: name, outcome: 'failed', note: (e as Error)?.message ?? String(e) });
    throw e;
  }
}

/** Stops the session between steps when it was cancelled or its budget ran out. */
function checkpoint(ctx: SessionContext): void {
  if (ctx.signal.aborted) throw ctx.signal.reason;
  if (ctx.budget.isExhausted) throw new BudgetExhaustedError(ctx.budget.limitUsd ?? 0, ctx.budget.spentUsd, ctx.budget.reservedUsd, 0);
}

async function drive(ctx: SessionContext, log: EventLog, pricing: Pricing, runner: SandboxedRunner, ending: Ending): Promise<SessionState> {
  const s = ctx.state;
  let status: Exclude<SessionStatus, 'running'> = 'completed';
  let error: string | undefined;
  // How this run prices its calls; a resumed run says it again (it may run a newer price version).
  const announcePricing = () => {
    const body = pricing.loaded(modelsInUse(ctx.config));
    ctx.sink.emit(body);
    return body;
  };
  try {
    // Before any agent runs: temp files of a killed run go, and the workspace as it is now is the baseline.
    await ctx.store.recover?.();
    await ctx.files.begin();
    // Candidates' copies a killed or crashed run left behind (the lock says no other session of this workspace runs).
    await ctx.copies?.sweep().catch((e: unknown) => reportUnexpectedError(e));
    // Read again on every run (the user may have changed them before a resume); the log says which were used.
    const rules = await loadRules(ctx.workspace, ctx.store);
    ctx.sink.emit({ type: 'rules.loaded', files: rules.files });
    ctx.rules = rules.text;
    // Before any process starts: where this run's commands and tests run (the setting may have changed since the last run).
    ctx.sink.emit(await runner.check());
    // Servers a killed earlier run left running are stopped before any agent starts its own.
    await ctx.mcp?.recover();
    if (s.phases.some((p) => p.name === 'setup' && p.outcome === 'ok')) announcePricing();
    await phase(ctx, 'setup', async () => {
      const p = announcePricing();
      const unknown = p.models.filter((m) => m.origin === 'unknown').map((m) => m.model);
      if (unknown.length)
        ctx.sink.emit({
          type: 'budget.estimated',
          estimateUsd: null,
          limitUsd: ctx.config.budgetUsd,
          unknownModels: unknown,
          prices: { source: p.source, version: p.version, publishedAt: p.publishedAt, overrides: p.overrides },
        });
    });
    if (s.taskOrder.length === 0) await phase(ctx, 'planning', async () => void (await runPlanning(ctx)));
    if (!s.phases.some((p) => p.name === 'development' && p.outcome === 'ok')) {
      const est = estimateSessionCost(
        s.taskOrder.map((id) => s.tasks[id]!),
        ctx.config,
        pricing,
      );
      ctx.sink.emit({
        type: 'budget.estimated',
        estimateUsd: est.estimateUsd,
        limitUsd: ctx.config.budgetUsd,
        unknownModels: est.unknownModels,
        ...(est.planModels.length ? { planModels: est.planModels } : {}),
        prices: est.prices,
      });
    }
    await phase(ctx, 'development', async () => {
      await runDevelopment(ctx);
      return Object.values(s.tasks).some((t) => t.status === 'failed') ? 'failed' : 'ok';
    });
    await phase(ctx, 'integration', () => runIntegration(ctx));
    await phase(ctx, 'validation', () => runValidation(ctx));
    const failedTask = Object.values(s.tasks).some((t) => t.status === 'failed' || t.status === 'pending' || t.status === 'running');
    const v = s.validation;
    const testsFailed = !!v && 'command' in v && (v.exitCode !== 0 || v.timedOut);
    if (failedTask || testsFailed) status = 'failed';
    if (failedTask) error = 'some tasks failed';
    else if (testsFailed) error = 'the generated tests failed';
  } catch (e) {
    const full = ctx.signal.reason instanceof DiskFullError ? ctx.signal.reason : e instanceof DiskFullError ? e : undefined;
    if (full) {
      ending.onFull(full);
      status = 'failed';
      error = full.message;
    } else if (ctx.signal.aborted) {
      status = 'cancelled';
      error = (ctx.signal.reason as Error)?.message ?? 'cancelled';
    } else if (e instanceof BudgetExhaustedError || ctx.budget.isExhausted) {
      status = 'budget_exhausted';
      error = e instanceof Error ? e.message : String(e);
      ctx.sink.emit({ type: 'budget.exhausted', limitUsd: ctx.budget.limitUsd ?? 0, spentUsd: ctx.budget.spentUsd, reservedUsd: ctx.budget.reservedUsd });
    } else {
      status = 'failed';
      error = e instanceof Error ? e.message : String(e);
    }
  }
  // The servers stop with the session's work (logged as `mcp.server` stopped), before its end is logged.
  await ctx.mcp?.close();
  writeReport(ctx, log, status, ending, error);
  return s;
}

function writeReport(ctx: SessionContext, log: EventLog, status: Exclude<SessionStatus, 'running'>, ending: Ending, error?: string): void {
  // The report is a fold of the log, so it is written once the log holds the session's end.
  try {
    ctx.sink.emit({ type: 'phase.started', phase: 'report' });
    ctx.sink.emit({ type: 'phase.ended', phase: 'report', outcome: 'ok' });
    ctx.sink.emit({ type: 'session.ended', status, error });
  } catch (e) {
    // The log takes no more (a full disk): the session ends in memory only, and its log reads as
    // interrupted (a resume continues it). No report is written from a log that does not hold its end.
    ending.logComplete = false;
    foldUnlogged(ctx.state, log, ctx.clock, { type: 'session.ended', status, error });
    foldUnlogged(ctx.state, log, ctx.clock, {
      type: 'report.failed',
      error: `not written: the log could not take the session's end (${(e as Error)?.message ?? String(e)})`,
    });
    return;
  }
  let end: EventBody;
  try {
    end = { type: 'report.written', files: writeReportFiles(ctx.dir, ctx.state, log.redactor) };
  } catch (e) {
    // The session's folder may be gone or its disk full: the session has ended all the same.
    const full = diskFullError(e, ctx.dir, 'the report');
    if (full) ending.onFull(full);
    end = { type: 'report.failed', error: full?.message ?? (e as Error)?.message ?? String(e) };
  }
  try {
    log.emit(end);
  } catch {
    // The log holds the session's end; only whether its report was written is missing from it.
    foldUnlogged(ctx.state, log, ctx.clock, end);
  }
}

/** Applies an event the log could not take to the in-memory fold, so that what the session shows (and the CLI says) is still its end. */
function foldUnlogged(state: SessionState, log: EventLog, clock: Clock, body: EventBody): void {
  applyEvent(state, { ...body, v: EVENT_VERSION, seq: log.lastSeq + 1, ts: clock.now() } as EnsembleEvent);
}

/**
 * `done` never rejects: whatever escaped the session (the log itself failing to write, a bug), it ends
 * `failed` — as an event when the log still takes one, else only in the in-memory fold.
 */
function settleAfterCrash(log: EventLog, state: SessionState, e: unknown, ending: Ending): SessionState {
  const error = `internal error: ${e instanceof Error ? e.message : String(e)}`;
  if (state.status !== 'running') return state;
  try {
    log.emit({ type: 'session.ended', status: 'failed', error });
  } catch {
    ending.logComplete = false;
    Object.assign(state, { status: 'failed', error, currentPhase: undefined });
  }
  return state;
}
