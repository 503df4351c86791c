// The cost estimate shown before development starts. It is a model of a typical task, not a
// measurement: each task is assumed to take TURNS turns whose prompts average PROMPT_TOKENS tokens and
// whose answers average OUTPUT_TOKENS tokens, at its role's price. Models with no price make the
// estimate unknown (null) rather than low.

import type { TaskSpec } from '../events';
import type { EngineConfig } from '../config';
import { costOf, DEFAULT_PRICES, findPrice, mergePrices, type PriceTable } from './pricing';

export const ESTIMATE_ASSUMPTIONS = { TURNS: 6, PROMPT_TOKENS: 6000, OUTPUT_TOKENS: 1500 } as const;

export function estimateSessionCost(tasks: readonly TaskSpec[], cfg: EngineConfig, prices: PriceTable): { estimateUsd: number | null; unknownModels: string[] } {
  const { TURNS, PROMPT_TOKENS, OUTPUT_TOKENS } = ESTIMATE_ASSUMPTIONS;
  let total = 0;
  const unknown = new Set<string>();
  for (const t of tasks) {
    const r = cfg.roles[t.role] ?? cfg.orchestrator;
    const c = costOf({ input: TURNS * PROMPT_TOKENS, output: TURNS * OUTPUT_TOKENS }, findPrice(prices, r.provider, r.model));
    if (c === null) unknown.add(`${r.provider}/${r.model}`);
    else total += c;
  }
  return { estimateUsd: unknown.size ? null : Math.round(total * 1e4) / 1e4, unknownModels: [...unknown] };
}

/** Before any plan exists: the development cost of a typical session, one task per role. */
export function typicalSessionCost(cfg: EngineConfig): { estimateUsd: number | null; unknownModels: string[] } {
  const tasks = Object.keys(cfg.roles).map((role) => ({ id: role, title: role, description: '', role, dependsOn: [] }));
  return estimateSessionCost(tasks, cfg, mergePrices(DEFAULT_PRICES, cfg.pricing));
}
