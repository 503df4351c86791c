// What the agents and tasks tables say, as plain data: pure functions of the fold (no DOM), so the
// words and figures on screen are tested in Node and read the same fold as the report.
import { knownCost } from '../src/core/fold/figures';
import { commandResult, finisherText } from '../src/core/fold/report';
import type { AgentState, CommandState, PhaseState, SessionState } from '../src/core/fold/state';
import { plural, tokens, usd } from './format';

/** A phase's outcome as the timeline says it (`cancelled` when a user's cancel stopped it: a fold rule). */
export function phaseOutcome(p: PhaseState, st: SessionState, live: boolean): string {
  if (p.endedAt !== undefined) return p.outcome ?? 'ok';
  return live && st.currentPhase === p.name ? 'running' : 'interrupted';
}

export interface AgentRow {
  role: string;
  route: string;
  status: string;
  /** CSS class of the status (agent-escalated is a warning, not an error). */
  statusClass: string;
  task: string;
  taskTitle: string;
}

/** An agent that gave up is shown handing its task on, not as a failure: the task may still be done. */
function agentStatusText(a: AgentState): string {
  return a.status === 'ESCALATED' ? 'ESCALATED → orchestrator' : a.status;
}

/** Grouped by task, in the plan's order (agents without a task of the plan last, as they came). */
export function agentRows(st: SessionState): AgentRow[] {
  const order = new Map(st.taskOrder.map((id, i) => [id, i]));
  const agents = Object.values(st.agents)
    .map((a, i) => ({ a, i }))
    .sort((x, y) => (order.get(x.a.taskId) ?? order.size) - (order.get(y.a.taskId) ?? order.size) || x.i - y.i)
    .map((x) => x.a);
  return agents.map((a) => {
    const t = st.tasks[a.taskId];
    return {
      role: a.role,
      route: `${a.provider} / ${a.model}`,
      status: agentStatusText(a),
      statusClass: `agent-${a.status.toLowerCase()}`,
      task: t ? `${t.title}${t.attempts > 1 ? ` (${t.attempts} turns)` : ''}` : a.taskId,
      taskTitle: t?.description ?? '',
    };
  });
}

export interface TaskRow {
  id: string;
  title: string;
  status: string;
  /** Who finished it (role, reassigned role, or the orchestrator after escalation) and on which route; '—' until done. */
  finishedBy: string;
  cost: string;
  /** The cost split by who spent it: one line per role + route that made calls for the task. */
  spentBy: string[];
  /** The commands the task's agents asked to run, in order. */
  commands: CommandRow[];
}

export interface CommandRow {
  command: string;
  /** The decision and what came of it: `allowed · exit 0 in 1.2 s · 2 files changed`. */
  outcome: string;
  /** CSS class: command-ok, command-failed (a non-zero exit, a kill) or command-denied. */
  statusClass: string;
  /** Why it was decided so, and the last lines of its output. */
  detail: string;
}

export function commandRow(c: CommandState): CommandRow {
  const r = c.result;
  const decided = c.decision ? `${c.decision}${c.by === 'user' ? ` by the user${c.scope === 'session' ? ' for this session' : ''}` : ''}` : 'undecided';
  const result = commandResult({ decision: c.decision ?? null, exitCode: r?.exitCode ?? null, timedOut: r?.timedOut ?? false, durationMs: r?.durationMs ?? null });
  const files = r?.files.length ? ` · ${plural(r.files.length, 'file')} changed` : '';
  const tail = r?.outputTail.trimEnd().split('\n').slice(-8).join('\n');
  return {
    command: c.command,
    outcome: `${decided} · ${result}${files}`,
    statusClass: c.decision === 'denied' ? 'command-denied' : r && r.exitCode === 0 ? 'command-ok' : r ? 'command-failed' : 'command-pending',
    detail: [c.reason, tail].filter(Boolean).join('\n'),
  };
}

export function taskRows(st: SessionState): TaskRow[] {
  return st.taskOrder.map((id) => {
    const t = st.tasks[id]!;
    return {
      id,
      title: t.title,
      status: t.status,
      finishedBy: t.finishedBy ? finisherText(t.finishedBy) : '—',
      cost: usd(knownCost(t.figures)),
      commands: st.commandOrder.map((c) => st.commands[c]!).filter((c) => c.taskId === id).map(commandRow),
      spentBy: t.spentBy.map((x) => `${x.role} on ${x.provider}/${x.model}: ${usd(knownCost(x.figures))} · ${plural(x.figures.calls, 'call')} · ${tokens(x.figures.input + x.figures.cachedInput)} / ${tokens(x.figures.output)} tokens`),
    };
  });
}
