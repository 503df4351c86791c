// The development phase: tasks run as a DAG. Every task whose dependencies are done starts at once,
// within the global concurrency limit (each provider also limits its own calls, in the caller). A
// task whose agent gives up is escalated to the orchestrator, which may do it itself, reassign it or
// skip it. A task whose dependency failed is skipped, and a skipped task's dependants are told.

import type { ModelRef, TaskSpec } from '../events';
import { runAgent, type AgentOutcome, type ExtraToolHandler } from './agent';
import { routesFor, type SessionContext } from './context';
import { AGENT_TOOLS, ESCALATION_TOOLS, parseToolArgs, type ToolName } from './tools';
import { agentSystem, escalationRequest, escalationSystem, taskRequest } from './prompts';
import type { TaskState } from '../fold/state';
import { TaskStoppedError } from './steering';
import { prepareRaces, raceFor, runRace, slotsOf } from './candidates';

const MAX_REASSIGNS = 1;
/** The escalation reason of a task the user stopped: the orchestrator decides what becomes of it. */
export const STOPPED_BY_USER = 'stopped by the user';

/** Runs one agent's work on a task under a signal that the user's Stop Task aborts; undefined when it did. */
async function stoppable<T>(ctx: SessionContext, taskId: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const w = ctx.steering.track(taskId);
  try {
    return await work(w.signal);
  } catch (e) {
    if (e instanceof TaskStoppedError && !ctx.signal.aborted) return undefined;
    throw e;
  } finally {
    w.release();
  }
}

/**
 * Runs every unfinished task (or only `only`), returning when none can make progress. A task's
 * readiness changes only when it or one of its dependencies finishes, so each completion re-examines
 * just those tasks, never the whole plan again.
 */
export async function runDevelopment(ctx: SessionContext, only?: string[]): Promise<void> {
  const tasks = ctx.state.tasks;
  const scope = only && new Set(only);
  const order = new Map(ctx.state.taskOrder.map((id, i) => [id, i]));
  const dependants = new Map<string, string[]>();
  for (const id of ctx.state.taskOrder) {
    if (scope && !scope.has(id)) continue;
    for (const d of tasks[id]!.dependsOn) {
      const list = dependants.get(d);
      if (list) list.push(id);
      else dependants.set(d, [id]);
    }
  }
  const unfinished = (t: TaskState) => t.status === 'pending' || t.status === 'running' || t.status === 'escalated';
  const running = new Map<string, number>();
  /** Concurrency slots the running tasks take: one each, one per candidate for a best-of task. */
  let used = 0;
  /** Tasks that can start, in plan order (`queued`: the same, as a set). */
  const ready: string[] = [];
  const queued = new Set<string>();
  const finished: string[] = [];
  let wake: (() => void) | undefined;
  let fatal: unknown;

  /** Queues task `id` if it can start now, skips it if a dependency failed, else leaves it to wait. */
  const check = (id: string): void => {
    const t = tasks[id];
    if (!t || (scope && !scope.has(id)) || !unfinished(t) || running.has(id) || queued.has(id)) return;
    const deps = t.dependsOn.map((d) => tasks[d]);
    const blocker = deps.find((d) => d && d.status === 'failed');
    if (blocker) {
      ctx.sink.emit({ type: 'task.skipped', taskId: id, reason: `it depends on ${blocker.id}, which failed` });
      for (const x of dependants.get(id) ?? []) check(x);
      return;
    }
    if (deps.some((d) => d && unfinished(d))) return;
    queued.add(id);
    const at = ready.length && order.get(ready.at(-1)!)! > order.get(id)! ? ready.findIndex((x) => order.get(x)! > order.get(id)!) : ready.length;
    ready.splice(at, 0, id);
  };

  for (const id of ctx.state.taskOrder) check(id);
  // Copies for the races to come are made while the first tasks run (brought to each race's state when it starts).
  prepareRaces(
    ctx,
    ctx.state.taskOrder.map((id) => tasks[id]!).filter((t) => unfinished(t) && (!scope || scope.has(t.id))),
  );
  for (;;) {
    while (fatal === undefined && !ctx.signal.aborted && !ctx.budget.isExhausted && used < ctx.config.maxConcurrency && ready.length) {
      const slots = slotsOf(ctx, tasks[ready[0]!]!);
      // A best-of task waits for its slots (all of them, up to the limit) unless nothing else runs.
      if (running.size && used + slots > ctx.config.maxConcurrency) break;
      const id = ready.shift()!;
      queued.delete(id);
      running.set(id, slots);
      used += slots;
      void runTask(ctx, tasks[id]!)
        .catch((e) => {
          fatal ??= e;
        })
        .finally(() => {
          used -= running.get(id) ?? 0;
          running.delete(id);
          finished.push(id);
          wake?.();
        });
    }
    if (running.size === 0 && !finished.length) break;
    if (!finished.length) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    for (const id of finished.splice(0)) {
      check(id); // a reassigned task runs again
      for (const x of dependants.get(id) ?? []) check(x);
    }
  }
  if (fatal !== undefined) throw fatal;
}

/** `tools`, plus run_command when the session's policy offers it. */
function withCommands(ctx: SessionContext, tools: ToolName[]): ToolName[] {
  return ctx.commands?.offered ? [...tools, 'run_command'] : tools;
}

/** Most files a task's prompt names; list_files shows the rest. */
export const PROMPT_FILES = 40;

/**
 * The files a task needs to know about: those written by the tasks it depends on (transitively) and by
 * itself in an earlier attempt — not every file of the session, so that prompts do not grow with the
 * session (O(n²) bytes over a long plan). Capped, with a line saying how many more there are.
 */
function filesFor(ctx: SessionContext, t: TaskSpec): string[] {
  const seen = new Set<string>();
  const stack = [t.id];
  const files = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const task = ctx.state.tasks[id];
    if (!task) continue;
    for (const f of task.files) if (ctx.state.files[f]?.afterSha) files.add(f);
    stack.push(...task.dependsOn);
  }
  const list = [...files];
  return list.length > PROMPT_FILES ? [...list.slice(0, PROMPT_FILES), `… and ${list.length - PROMPT_FILES} more (list_files shows every file)`] : list;
}

async function runTask(ctx: SessionContext, t: TaskState): Promise<void> {
  const role = ctx.config.roles[t.role];
  if (!role) {
    ctx.sink.emit({ type: 'task.failed', taskId: t.id, error: `role "${t.role}" is not configured` });
    return;
  }
  const deps = t.dependsOn.map((d) => ctx.state.tasks[d]).filter((d): d is TaskState => !!d);
  const prompt = taskRequest(ctx.goal, t, {
    doneSummaries: deps.filter((d) => d.status === 'completed').map((d) => `- ${d.id} (${d.role}): ${d.summary ?? d.title}`),
    skipped: deps.filter((d) => d.status === 'skipped').map((d) => `- ${d.id}: ${d.title} (skipped: ${d.summary ?? 'no reason given'})`),
    filesSoFar: filesFor(ctx, t),
    resumed: ctx.resumed && t.attempts > 0,
  });
  const race = raceFor(ctx, t);
  if (race && 'refs' in race) return runBestOf(ctx, t, race.refs, prompt);
  if (race) ctx.sink.emit({ type: 'decision', kind: 'assign', taskId: t.id, summary: `${t.title}: not best of several`, rationale: race.note });
  const agentId = ctx.nextAgentId(t.role);
  const routes = routesFor(ctx, role);
  const first = routes[0] ?? role;
  ctx.sink.emit({ type: 'agent.spawned', agentId, role: t.role, provider: first.provider, model: first.model, taskId: t.id });
  ctx.sink.emit({ type: 'task.started', taskId: t.id, agentId, role: t.role, provider: first.provider, model: first.model });
  // The role's MCP servers start with its first agent (a server that cannot start offers no tools: the log says why).
  const mcp = await ctx.mcp?.toolsFor(role.mcp);
  const outcome = await stoppable(ctx, t.id, (signal) =>
    runAgent(
      {
        agentId,
        taskId: t.id,
        role: t.role,
        routes,
        system: agentSystem(t.role, role, ctx.rules, { runCommand: !!ctx.commands?.offered }),
        messages: [{ role: 'user', content: prompt }],
        tools: withCommands(ctx, AGENT_TOOLS),
        maxTurns: ctx.config.maxTurns,
        maxOutputTokens: ctx.config.maxOutputTokens,
        trace: `task/${t.id}`,
        mcp,
      },
      { caller: ctx.caller, windows: ctx.windows, files: ctx.files, sink: ctx.sink, commands: ctx.commands, inbox: ctx.steering, signal, search: ctx.search },
    ),
  );
  if (!outcome) await escalate(ctx, t, STOPPED_BY_USER);
  else if (outcome.kind === 'finished') ctx.sink.emit({ type: 'task.completed', taskId: t.id, agentId, summary: outcome.summary });
  else if (outcome.kind === 'gave_up') await escalate(ctx, t, outcome.reason);
}

/** A task done best of several (candidates.ts): the chosen candidate's changes applied, or the task escalated (none passed) or skipped (the user chose none). */
async function runBestOf(ctx: SessionContext, t: TaskState, refs: ModelRef[], prompt: string): Promise<void> {
  const r = await stoppable(ctx, t.id, (signal) => runRace(ctx, t, refs, signal, prompt));
  if (!r) return escalate(ctx, t, STOPPED_BY_USER);
  if (r.kind === 'applied') {
    const kept = r.refused.length ? ` (not applied, the workspace's version kept: ${r.refused.join(', ')} — see the refusals)` : '';
    ctx.sink.emit({ type: 'task.completed', taskId: t.id, agentId: r.agentId, summary: `${r.summary}${kept}` });
  } else if (r.byUser) {
    ctx.sink.emit({ type: 'task.skipped', taskId: t.id, reason: r.reason });
    ctx.sink.emit({ type: 'decision', kind: 'skip', taskId: t.id, summary: `${t.title} skipped`, rationale: r.reason });
  } else await escalate(ctx, t, r.reason);
}

async function escalate(ctx: SessionContext, t: TaskSpec, reason: string): Promise<void> {
  ctx.sink.emit({ type: 'task.escalated', taskId: t.id, reason });
  ctx.sink.emit({
    type: 'decision',
    kind: 'escalate',
    taskId: t.id,
    summary:
      reason === STOPPED_BY_USER ? `${t.title} stopped by the user: the orchestrator decides what becomes of it` : `${t.title} escalated to the orchestrator`,
    rationale: reason,
  });
  const agentId = ctx.nextAgentId('orchestrator');
  const routes = routesFor(ctx, ctx.config.orchestrator);
  const first = routes[0] ?? ctx.config.orchestrator;
  ctx.sink.emit({ type: 'agent.spawned', agentId, role: 'orchestrator', provider: first.provider, model: first.model, taskId: t.id });
  const roles = Object.keys(ctx.config.roles);
  const reassigns = ctx.state.decisions.filter((d) => d.kind === 'reassign' && d.taskId === t.id).length;
  const extraTools: ExtraToolHandler = async (name, args) => {
    if (name === 'reassign_task') {
      const a = parseToolArgs(name, args);
      if (!a.ok) return { result: a.error, isError: true };
      if (a.value.taskId !== t.id) return { result: `Only the escalated task "${t.id}" can be reassigned here.`, isError: true };
      if (!roles.includes(a.value.role)) return { result: `Unknown role "${a.value.role}". Roles: ${roles.join(', ')}.`, isError: true };
      if (reassigns >= MAX_REASSIGNS) return { result: 'This task was already reassigned once; do it yourself or skip it.', isError: true };
      ctx.sink.emit({ type: 'task.reassigned', taskId: t.id, role: a.value.role, reason: a.value.reason });
      ctx.sink.emit({ type: 'decision', kind: 'reassign', taskId: t.id, summary: `${t.title} → ${a.value.role}`, rationale: a.value.reason });
      return { result: 'Reassigned.', stop: { kind: 'decided', summary: `reassigned to ${a.value.role}` } };
    }
    if (name === 'skip_task') {
      const a = parseToolArgs(name, args);
      if (!a.ok) return { result: a.error, isError: true };
      if (a.value.taskId !== t.id) return { result: `Only the escalated task "${t.id}" can be skipped here.`, isError: true };
      ctx.sink.emit({ type: 'task.skipped', taskId: t.id, reason: a.value.reason });
      ctx.sink.emit({ type: 'decision', kind: 'skip', taskId: t.id, summary: `${t.title} skipped`, rationale: a.value.reason });
      return { result: 'Skipped.', stop: { kind: 'decided', summary: 'skipped' } };
    }
    return { result: `Tool "${name}" is not available here.`, isError: true };
  };
  const mcp = await ctx.mcp?.toolsFor(ctx.config.orchestrator.mcp);
  const outcome: AgentOutcome | undefined = await stoppable(ctx, t.id, (signal) =>
    runAgent(
      {
        agentId,
        taskId: t.id,
        role: 'orchestrator',
        routes,
        system: escalationSystem(roles, ctx.rules),
        messages: [{ role: 'user', content: escalationRequest(ctx.goal, t, reason, filesFor(ctx, t)) }],
        tools: withCommands(ctx, ESCALATION_TOOLS),
        maxTurns: ctx.config.maxTurns,
        maxOutputTokens: ctx.config.maxOutputTokens,
        trace: `escalate/${t.id}`,
        extraTools,
        mcp,
      },
      { caller: ctx.caller, windows: ctx.windows, files: ctx.files, sink: ctx.sink, commands: ctx.commands, inbox: ctx.steering, signal, search: ctx.search },
    ),
  );
  if (!outcome) {
    // Stopped again while the orchestrator handled it: the user does not want it done.
    ctx.sink.emit({ type: 'task.skipped', taskId: t.id, reason: STOPPED_BY_USER });
    ctx.sink.emit({ type: 'decision', kind: 'skip', taskId: t.id, summary: `${t.title} skipped`, rationale: `${STOPPED_BY_USER} during its escalation` });
  } else if (outcome.kind === 'finished') {
    ctx.sink.emit({ type: 'task.completed', taskId: t.id, agentId, summary: outcome.summary });
    ctx.sink.emit({ type: 'decision', kind: 'escalate', taskId: t.id, summary: `Orchestrator completed ${t.title} itself`, rationale: outcome.summary });
  } else if (outcome.kind === 'gave_up') {
    ctx.sink.emit({ type: 'task.failed', taskId: t.id, agentId, error: `${reason}; the orchestrator could not finish it either: ${outcome.reason}` });
  } else {
    ctx.sink.emit({ type: 'agent.ended', agentId, status: 'COMPLETED', summary: outcome.summary });
  }
}
