// Counting model calls: tokens, dollars and latency, per provider, per role, per task and, within a
// task, per role + route that spent them (so a task the orchestrator finished after escalation shows
// what each of them cost). Part of the one reducer in state.ts; what a call cost is money.ts's rule.

import type { EventOf } from '../events';
import type { Usage } from '../ports';
import type { SessionState, TaskState } from './state';
import { callCost, costWords, knownCost, onPlan } from './money';

export interface ProviderFigures {
  calls: number;
  failures: number;
  input: number;
  output: number;
  cachedInput: number;
  cacheWrite: number;
  /** Dollars of the calls whose cost is known; `unknownCalls` > 0 means the true total is unknown. */
  costUsd: number;
  unknownCalls: number;
  /** Calls paid by the user's plan (VS Code's language models): in no dollar figure. */
  planCalls: number;
  /** Calls whose tokens the adapter counted with the model's tokenizer (the provider reports no usage): counted, not billed. */
  countedCalls: number;
  latencyMsTotal: number;
  latencyCount: number;
}

/**
 * The tokens a prompt had, as every view says "input tokens" (the panel, report.md, the CLI): the whole
 * prompt, cache reads and writes included. report.json keeps the parts (`input` is what was billed at
 * the full input price, `cachedInput` and `cacheWrite` apart).
 */
export function promptTokens(t: { input: number; cachedInput?: number; cacheWrite?: number }): number {
  return t.input + (t.cachedInput ?? 0) + (t.cacheWrite ?? 0);
}

/** The calls one role made on one route for a task, and what they cost. */
export interface Spender {
  role: string;
  provider: string;
  model: string;
  figures: ProviderFigures;
}

export function emptyFigures(): ProviderFigures {
  return {
    calls: 0,
    failures: 0,
    input: 0,
    output: 0,
    cachedInput: 0,
    cacheWrite: 0,
    costUsd: 0,
    unknownCalls: 0,
    planCalls: 0,
    countedCalls: 0,
    latencyMsTotal: 0,
    latencyCount: 0,
  };
}

function figures(map: Record<string, ProviderFigures>, key: string): ProviderFigures {
  return (map[key] ??= emptyFigures());
}

function addCall(f: ProviderFigures, ok: boolean, latencyMs: number, usage: Usage | undefined, cost: number | null, plan: boolean): void {
  f.calls++;
  if (plan) f.planCalls++;
  if (usage?.counted) f.countedCalls++;
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
  }
  if (cost === null) f.unknownCalls++;
  else f.costUsd += cost;
}

/** Counts one model call for its provider, its role (the orchestrator when no role), its task and who in the task spent it. */
export function recordCall(s: SessionState, e: EventOf<'llm.response'> | EventOf<'llm.error'>, ok: boolean): void {
  const role = s.agentRoles[e.agentId] ?? 'orchestrator';
  const task = e.taskId ? s.tasks[e.taskId] : undefined;
  const cost = callCost(e);
  const plan = onPlan(e);
  // `models` is absent in a state folded by an older version (a snapshot is rebuilt when its shape changes).
  for (const f of [
    figures(s.providers, e.provider),
    figures(s.roles, role),
    figures((s.models ??= {}), `${e.provider}/${e.model}`),
    task?.figures,
    task && spender(task, role, e.provider, e.model),
    candidateOf(s, e.agentId),
  ]) {
    if (f) addCall(f, ok, e.latencyMs, e.usage, cost, plan);
  }
}

/** The figures of the candidate agent `agentId` works for (best of several), if it does. */
function candidateOf(s: SessionState, agentId: string): ProviderFigures | undefined {
  const at = s.candidateAgents?.[agentId];
  return at ? s.tasks[at.taskId]?.race?.candidates.find((c) => c.candidateId === at.candidateId)?.figures : undefined;
}

function spender(t: TaskState, role: string, provider: string, model: string): ProviderFigures {
  let x = t.spentBy.find((y) => y.role === role && y.provider === provider && y.model === model);
  if (!x) t.spentBy.push((x = { role, provider, model, figures: emptyFigures() }));
  return x.figures;
}
/** What `f` cost, in words: its dollars, "unknown cost", or with calls paid by the user's plan "through the VS Code model (your plan)". */
export function costText(f: ProviderFigures): string {
  return costWords(knownCost(f), f.planCalls ?? 0);
}

/** Whether `f`'s tokens were (partly) counted by Ensemble rather than reported by the provider as billed. */
export function tokensCounted(f: ProviderFigures): boolean {
  return (f.countedCalls ?? 0) > 0;
}
