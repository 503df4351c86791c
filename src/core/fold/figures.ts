// Counting model calls: tokens, dollars and latency, per provider, per role, per task and, within a
// task, per role + route that spent them (so a task the orchestrator finished after escalation shows
// what each of them cost). Part of the one reducer in state.ts.

import type { EventOf } from '../events';
import type { Usage } from '../ports';
import type { SessionState, TaskState } from './state';

export interface ProviderFigures {
  calls: number;
  failures: number;
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  /** Dollars of priced calls; `unpricedCalls` > 0 means the true total is unknown. */
  costUsd: number;
  unpricedCalls: number;
  latencyMsTotal: number;
  latencyCount: number;
}

/** The calls one role made on one route for a task, and what they cost. */
export interface Spender {
  role: string;
  provider: string;
  model: string;
  figures: ProviderFigures;
}

export function emptyFigures(): ProviderFigures {
  return { calls: 0, failures: 0, input: 0, output: 0, cachedInput: 0, cacheWrite: 0, costUsd: 0, unpricedCalls: 0, latencyMsTotal: 0, latencyCount: 0 };
}

function figures(map: Record<string, ProviderFigures>, key: string): ProviderFigures {
  return (map[key] ??= emptyFigures());
}

function addCall(f: ProviderFigures, ok: boolean, latencyMs: number, usage: Usage | undefined, costUsd: number | null | undefined): void {
  f.calls++;
  if (!ok) f.failures++;
  if (ok) {
    f.latencyMsTotal += latencyMs;
    f.latencyCount++;
  }
  if (usage) {
    f.input += usage.input;
    f.output += usage.output;
    f.cachedInput += usage.cachedInput ?? 0;
    f.cacheWrite += usage.cacheWrite ?? 0;
    const billed = usage.input + usage.output + (usage.cachedInput ?? 0) + (usage.cacheWrite ?? 0) > 0;
    if (costUsd === null || (costUsd === undefined && billed)) f.unpricedCalls++;
    else f.costUsd += costUsd ?? 0;
  }
}

/** Counts one model call for its provider, its role (the orchestrator when no role), its task and who in the task spent it. */
export function recordCall(s: SessionState, e: EventOf<'llm.response'> | EventOf<'llm.error'>, ok: boolean): void {
  const role = s.agentRoles[e.agentId] ?? 'orchestrator';
  const task = e.taskId ? s.tasks[e.taskId] : undefined;
  for (const f of [figures(s.providers, e.provider), figures(s.roles, role), task?.figures, task && spender(task, role, e.provider, e.model)]) {
    if (f) addCall(f, ok, e.latencyMs, e.usage, e.costUsd);
  }
}

function spender(t: TaskState, role: string, provider: string, model: string): ProviderFigures {
  let x = t.spentBy.find((y) => y.role === role && y.provider === provider && y.model === model);
  if (!x) t.spentBy.push((x = { role, provider, model, figures: emptyFigures() }));
  return x.figures;
}

/** The dollars of `f`, or null when a call had no price (then the true total is unknown). */
export function knownCost(f: ProviderFigures): number | null {
  return f.unpricedCalls > 0 ? null : f.costUsd;
}
