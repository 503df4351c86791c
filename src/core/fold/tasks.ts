// The plan's tasks as the reducer folds them: their status, who works on and who finished each, and
// what they cost (figures and spentBy are filled by the money and call folds).

import type { EnsembleEvent, TaskSpec } from '../events';
import { emptyFigures, type ProviderFigures, type Spender } from './figures';
import { isWorking, setAgent, setStatus, type AgentState } from './agents';
import type { SessionState } from './state';
import type { RaceState } from './candidates';

/**
 * `cancelled`: running (or with the orchestrator) when the user cancelled the session; `interrupted`:
 * the same when the session ended for another reason (the budget, a failure). The session's end settles
 * every task: none stays `running` after it. A resume makes them `pending` again (they run again).
 */
export type TaskStatus = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'escalated' | 'cancelled' | 'interrupted';

/** Finished for good: completed, failed or skipped (a cancelled or interrupted task runs again on resume). */
export function isFinished(t: Pick<TaskState, 'status'>): boolean {
  return t.status === 'completed' || t.status === 'failed' || t.status === 'skipped';
}

/**
 * What `attempts` counts, named once for every view (the panel, report.md): every model request the
 * task's role agents sent, retries and failed calls included.
 */
export const ATTEMPTS_NOUN = 'model calls';

/** `attempts` in words: "7 model calls". */
export function attemptsText(n: number): string {
  return n === 1 ? '1 model call' : `${n} ${ATTEMPTS_NOUN}`;
}

/** Who finished a task: its own role, the role the orchestrator reassigned it to, or the orchestrator itself after escalation. */
export interface Finisher {
  by: 'role' | 'reassigned' | 'orchestrator';
  role: string;
  /** The route the finishing agent was on when it finished (after any provider switch). */
  provider: string;
  model: string;
}

export interface TaskState extends TaskSpec {
  status: TaskStatus;
  /** The route that finished the task (see `finishedBy`); until then the route its role agent is on. */
  provider?: string;
  model?: string;
  /** The task's role agent (the last one started for it). */
  agentId?: string;
  /** Model requests sent by the task's role agents, retries and failed calls included (say it with `attemptsText`). */
  attempts: number;
  files: string[];
  /** The task's model calls: tokens, dollars (unpricedCalls > 0: unknown), latency. */
  figures: ProviderFigures;
  /** `figures` split by who spent them: one entry per role + provider + model, in order of first call. */
  spentBy: Spender[];
  /** Set when the task completes. */
  finishedBy?: Finisher;
  /** The role the plan gave the task, once the orchestrator reassigned it. */
  reassignedFrom?: string;
  summary?: string;
  error?: string;
  /** The user stopped the task (Stop Task) since it last started: the orchestrator decides what becomes of it. */
  stopped?: boolean;
  /** Best of several: its latest race of candidates (fold/candidates.ts). */
  race?: RaceState;
}

/** Adds a task of the plan (again: a replan keeps what it cost so far). */
export function addTask(s: SessionState, t: TaskSpec): void {
  if (!s.tasks[t.id]) s.taskOrder.push(t.id);
  const old = s.tasks[t.id];
  s.tasks[t.id] = { ...t, status: 'pending', attempts: 0, files: [], figures: old?.figures ?? emptyFigures(), spentBy: old?.spentBy ?? [] };
}

/** Agent `a` finished the task, on the route it is on now. */
function finish(t: TaskState, a: AgentState | undefined): void {
  if (!a) return;
  const by = a.role === 'orchestrator' ? 'orchestrator' : t.reassignedFrom ? 'reassigned' : 'role';
  t.finishedBy = { by, role: a.role, provider: a.provider, model: a.model };
  Object.assign(t, { provider: a.provider, model: a.model });
}

/** The events this module folds. */
export type TaskEvent = Extract<
  EnsembleEvent,
  { type: 'task.started' | 'task.completed' | 'task.failed' | 'task.skipped' | 'task.escalated' | 'task.reassigned' }
>;

/** Applies one task event to the state, in place (applyEvent's part for the tasks). */
export function applyTask(s: SessionState, e: TaskEvent): void {
  switch (e.type) {
    case 'task.started': {
      const t = s.tasks[e.taskId];
      if (t)
        Object.assign(t, {
          status: 'running',
          agentId: e.agentId,
          provider: e.provider,
          model: e.model,
          error: undefined,
          finishedBy: undefined,
          stopped: undefined,
        });
      setAgent(s.agents, e.agentId, 'READY');
      break;
    }
    case 'task.completed': {
      const t = s.tasks[e.taskId];
      if (t) {
        Object.assign(t, { status: 'completed', summary: e.summary, error: undefined });
        finish(t, s.agents[e.agentId]);
      }
      setAgent(s.agents, e.agentId, 'COMPLETED');
      break;
    }
    case 'task.failed': {
      const t = s.tasks[e.taskId];
      if (t) Object.assign(t, { status: 'failed', error: e.error });
      setAgent(s.agents, e.agentId ?? t?.agentId, 'FAILED');
      break;
    }
    case 'task.skipped': {
      const t = s.tasks[e.taskId];
      if (t) Object.assign(t, { status: 'skipped', summary: e.reason });
      break;
    }
    case 'task.escalated': {
      const t = s.tasks[e.taskId];
      if (t) t.status = 'escalated';
      // An agent whose task the user stopped stays CANCELLED.
      const a = t?.agentId ? s.agents[t.agentId] : undefined;
      if (a && isWorking(a)) setStatus(a, 'ESCALATED');
      s.escalations.push({ seq: e.seq, ts: e.ts, taskId: e.taskId, reason: e.reason, ...(t?.stopped ? { byUser: true } : {}) });
      break;
    }
    case 'task.reassigned': {
      const t = s.tasks[e.taskId];
      if (t) Object.assign(t, { reassignedFrom: t.reassignedFrom ?? t.role, role: e.role, status: 'pending' });
      break;
    }
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
}

/** The session ended (`cancelled`, or otherwise): tasks still running or with the orchestrator are settled, so none reads `running` after it. */
export function settleTasks(s: SessionState, cancelled: boolean): void {
  for (const id of s.taskOrder) {
    const t = s.tasks[id]!;
    if (t.status === 'running' || t.status === 'escalated') t.status = cancelled ? 'cancelled' : 'interrupted';
  }
}

/** A resume runs the settled tasks again: they wait as they did before the run that settled them. */
export function unsettleTasks(s: SessionState): void {
  for (const id of s.taskOrder) {
    const t = s.tasks[id]!;
    if (t.status === 'cancelled' || t.status === 'interrupted') t.status = 'pending';
  }
}
