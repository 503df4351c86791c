// The cost estimate shown before development starts. It is a model of a typical task, not a
// measurement: each task is assumed to take TURNS turns whose prompts average PROMPT_TOKENS tokens and
// whose answers average OUTPUT_TOKENS tokens, at its role's price. Models with no price make the
// estimate unknown (null) rather than low. A best-of task counts once per candidate. It names the price data it used.

import type { PriceSourceInfo, TaskSpec } from '../events';
import { candidatesFor, type EngineConfig } from '../config';
import { PRICE_DATA, pricingFor, type Pricing } from './pricing';

export const ESTIMATE_ASSUMPTIONS = { TURNS: 6, PROMPT_TOKENS: 6000, OUTPUT_TOKENS: 1500 } as const;

export interface SessionEstimate {
  /** The dollars of the models priced per token (null: one has no price); calls paid by the user's plan are not in it. */
  estimateUsd: number | null;
  unknownModels: string[];
  /** Models paid by the user's plan (VS Code's language models), and the requests the estimate expects of them. */
  planModels: string[];
  planRequests: number;
  /** The price data used, and the models the user's `pricing` overrides. */
  prices: PriceSourceInfo & { overrides: string[] };
}

export function estimateSessionCost(tasks: readonly TaskSpec[], cfg: EngineConfig, pricing: Pricing = pricingFor(cfg)): SessionEstimate {
  const { TURNS, PROMPT_TOKENS, OUTPUT_TOKENS } = ESTIMATE_ASSUMPTIONS;
  let total = 0;
  const unknown = new Set<string>();
  const plan = new Set<string>();
  let planRequests = 0;
  for (const t of tasks) {
    // A task done best of several costs each of its candidates' work.
    for (const r of candidatesFor(t, cfg) ?? [cfg.roles[t.role] ?? cfg.orchestrator]) {
      if (pricing.onPlan(r)) {
        plan.add(`${r.provider}/${r.model}`);
        planRequests += TURNS;
        continue;
      }
      // Each turn on its own: a price tier is reached by one prompt's size, not by a task's total.
      const turn = pricing.cost(r, { input: PROMPT_TOKENS, output: OUTPUT_TOKENS });
      if (turn === null) unknown.add(`${r.provider}/${r.model}`);
      else total += TURNS * turn;
    }
  }
  return {
    estimateUsd: unknown.size ? null : Math.round(total * 1e4) / 1e4,
    unknownModels: [...unknown],
    planModels: [...plan],
    planRequests,
    prices: { ...PRICE_DATA, overrides: Object.keys(cfg.pricing) },
  };
}

/** Before any plan exists: the development cost of a typical session, one task per role. */
export function typicalSessionCost(cfg: EngineConfig): SessionEstimate {
  // With --best-of N every task that has a check is done by N candidates: counted as if each had one.
  const tasks = Object.keys(cfg.roles).map((role) => ({
    id: role,
    title: role,
    description: '',
    role,
    dependsOn: [],
    ...(cfg.bestOf ? { check: 'its check' } : {}),
  }));
  return estimateSessionCost(tasks, cfg);
}
