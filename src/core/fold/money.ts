// Money, as one fold over the call events: what the calls cost, what the cap counts, what calls in
// flight have reserved. The budget reads it (so a resumed session starts from the figure the last run
// ended on), and so do the status bar, the progress notification, the panel, the session list, the CLI,
// the narration and the report. This module also owns every figure derived from it and its words
// (dollars, "unknown cost", what the cap counts, an estimate, a budget): no view computes or words one
// on its own.

import type { EnsembleEvent, EventOf } from '../events';
import type { ProviderErrorCode, Usage } from '../ports';

export interface MoneyState {
  /** Dollars of the calls whose cost is known. */
  spentUsd: number;
  /** What the cap counts: `spentUsd`, plus the worst case each call of unknown cost had reserved. */
  chargedUsd: number;
  /** Worst cases reserved by the calls in flight (sent, not yet answered). */
  reservedUsd: number;
  /** Calls whose cost is unknown: a model without a price, a failure mid-answer that reported no usage, a call a crash cut off. */
  unknownCalls: number;
  /** Calls paid by the user's plan (VS Code's language models), counted when sent: no dollar figure, not counted by the cap. */
  planCalls: number;
  /** callId → the worst case it reserved, while it is in flight. */
  inFlight: Record<string, number>;
  inFlightCalls: number;
}

export function initialMoney(): MoneyState {
  return { spentUsd: 0, chargedUsd: 0, reservedUsd: 0, unknownCalls: 0, planCalls: 0, inFlight: {}, inFlightCalls: 0 };
}

/**
 * A failure after the answer began: the provider may have billed what it generated. A failure before
 * any answer (refused, rate-limited, unreachable, cancelled) costs nothing.
 */
export function failedMidAnswer(code: ProviderErrorCode): boolean {
  return code === 'stream_cut' || code === 'bad_response' || code === 'timeout' || code === 'refusal';
}

const billed = (u: Usage) => u.input + u.output + (u.cachedInput ?? 0) + (u.cacheWrite ?? 0) > 0;

/** A call paid by the user's plan (VS Code's language models), not per token. */
export function onPlan(e: EventOf<'llm.response'> | EventOf<'llm.error'>): boolean {
  return e.billing === 'plan';
}

/**
 * What a finished call cost: known dollars, or null when it is unknown. The one rule for every figure of
 * dollars. A call paid by the user's plan adds no dollars (0 here; every view says "your plan" instead).
 */
export function callCost(e: EventOf<'llm.response'> | EventOf<'llm.error'>): number | null {
  if (onPlan(e)) return 0;
  if (e.type === 'llm.response') return e.costUsd;
  if (typeof e.costUsd === 'number') return e.costUsd;
  if (e.usage) return e.costUsd === null || billed(e.usage) ? null : 0;
  return failedMidAnswer(e.code) ? null : 0;
}

/** Applies one event to the money, in place (O(1)); the other events leave it as it is. */
export function applyMoney(m: MoneyState, e: EnsembleEvent): void {
  switch (e.type) {
    case 'llm.request': {
      const r = e.reservedUsd ?? 0;
      // A call paid by the plan is counted when it is sent: from then on no view says $0.00 for it.
      if (e.billing === 'plan' && !(e.callId in m.inFlight)) m.planCalls++;
      if (!(e.callId in m.inFlight)) m.inFlightCalls++;
      m.inFlight[e.callId] = r;
      m.reservedUsd += r;
      break;
    }
    case 'llm.response':
    case 'llm.error': {
      const reserved = release(m, e.callId);
      const cost = callCost(e);
      if (cost === null) charge(m, reserved);
      else {
        m.spentUsd += cost;
        m.chargedUsd += cost;
      }
      break;
    }
    case 'session.resumed':
      // Calls still in flight when the last run stopped (a crash, a kill) were never answered: they
      // may have been billed, so their worst cases stay charged and their cost is unknown.
      for (const callId of Object.keys(m.inFlight)) charge(m, release(m, callId));
      break;
  }
}

function release(m: MoneyState, callId: string): number {
  const r = m.inFlight[callId];
  if (r === undefined) return 0; // a log from before reservations were recorded
  delete m.inFlight[callId];
  // Counted down to zero exactly, so rounding never leaves a phantom reservation behind.
  m.reservedUsd = --m.inFlightCalls === 0 ? 0 : m.reservedUsd - r;
  return r;
}

function charge(m: MoneyState, worstCaseUsd: number): void {
  m.unknownCalls++;
  m.chargedUsd += worstCaseUsd;
}

/** What the cap counts now: known dollars, the worst case kept for each call of unknown cost, and what the calls in flight reserved. */
export function countedUsd(m: Pick<MoneyState, 'chargedUsd' | 'reservedUsd'>): number {
  return m.chargedUsd + m.reservedUsd;
}

/** The dollars of some calls (a provider's, a role's, a task's), or null when one of their costs is unknown: then the true total is unknown. */
export function knownCost(f: { costUsd: number; unknownCalls: number }): number | null {
  return f.unknownCalls > 0 ? null : f.costUsd;
}

/** Dollars as report.json keeps them: rounded to a millionth (null stays null). */
export function roundUsd<T extends number | null>(n: T): T {
  return (n === null ? null : Math.round(n * 1e6) / 1e6) as T;
}

/** The words for a cost nobody knows: never $0.00. */
export const UNKNOWN_COST = 'unknown cost';

/** Dollars as every view writes them: "$0.1234", "$12.50"; "unknown cost" for null (never $0.00). */
export function usdText(n: number | null | undefined): string {
  if (n === null || n === undefined) return UNKNOWN_COST;
  return `$${n.toFixed(n !== 0 && Math.abs(n) < 1 ? 4 : 2)}`;
}

/** What the calls paid by the user's plan cost, in words: never $0.00, never a price. */
export const PLAN_TEXT = 'the VS Code model (your plan)';

/**
 * Money spent, in words, wherever it is shown: "$0.1234", "unknown cost", "$0.1234 + unknown", and with
 * calls paid by the user's plan (VS Code's models) "through the VS Code model (your plan)" or
 * "$0.1234 + the VS Code model (your plan)".
 */
export function moneyText(m: { spentUsd: number; unknownCalls: number; planCalls?: number }): string {
  const plan = m.planCalls ? PLAN_TEXT : '';
  if (!m.unknownCalls) return !plan ? usdText(m.spentUsd) : m.spentUsd > 0 ? `${usdText(m.spentUsd)} + ${plan}` : `through ${plan}`;
  const dollars = m.spentUsd > 0 ? `${usdText(m.spentUsd)} + unknown` : UNKNOWN_COST;
  return plan ? `${dollars} + ${plan}` : dollars;
}

/** A figure of dollars that may be unknown (null) beside the calls paid by the user's plan, as moneyText says it. */
export function costWords(costUsd: number | null, planCalls = 0): string {
  return planCalls ? moneyText({ spentUsd: costUsd ?? 0, unknownCalls: costUsd === null ? 1 : 0, planCalls }) : usdText(costUsd);
}

/** How many calls' cost is unknown, and why a cost can be: "2 calls of unknown cost (…)"; '' for none. */
export function unknownCallsText(n: number): string {
  return n ? `${n} call${n === 1 ? '' : 's'} of unknown cost (a model without a price, or an answer cut off)` : '';
}

/**
 * A cost estimate in words: "about $0.0500", or "unknown (no price for x, y)"; with models paid by the
 * user's plan (`planModels`, left out of the dollars) "about $0.0500 + the VS Code model (your plan)", or
 * "through the VS Code model (your plan)" when every model is one of them.
 */
export function estimateText(usd: number | null | undefined, unknownModels: readonly string[] = [], planModels: readonly string[] = []): string {
  if (usd === undefined) return 'none yet';
  if (usd === null) return `unknown${unknownModels.length ? ` (no price for ${unknownModels.join(', ')})` : ''}`;
  if (!planModels.length) return `about ${usdText(usd)}`;
  return usd > 0 ? `about ${usdText(usd)} + ${PLAN_TEXT}` : `through ${PLAN_TEXT}`;
}

/** A budget in words: "$2.50", or "no limit". */
export function budgetText(limitUsd: number | null | undefined): string {
  return limitUsd === null || limitUsd === undefined ? 'no limit' : usdText(limitUsd);
}

/** What the budget does not count, when the session has calls paid by the user's plan: '' otherwise. */
export function planBudgetText(planCalls: number | undefined): string {
  return planCalls ? `the budget counts only calls with a per-token price, not the ${planCalls} through ${PLAN_TEXT}` : '';
}

/**
 * Money against the budget, as the panel's header, the status bar's tooltip, the final notification
 * and the report say it: what was spent, and — when the cap counts more (calls in flight, calls of
 * unknown cost at their worst case) — what it counts.
 */
export function spendText(
  m: Pick<MoneyState, 'spentUsd' | 'unknownCalls' | 'chargedUsd' | 'reservedUsd'> & { planCalls?: number },
  limitUsd: number | null | undefined,
): { spent: string; counted: string | undefined } {
  const counted = countedUsd(m);
  return {
    spent: `Spent ${moneyText(m)}${limitUsd === null || limitUsd === undefined ? ' (no budget limit)' : ` of ${usdText(limitUsd)} budget`}`,
    counted:
      counted > m.spentUsd + 1e-12 ? `${usdText(counted)} counted against the budget (calls in flight, or of unknown cost, at their worst case)` : undefined,
  };
}
