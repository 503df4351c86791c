// Best of several, as the configuration asks for it: which models do a task (its own `candidates`, its
// role's `bestOf`, or the first N configured providers), with no dependency so that the panel can say it too.

import type { ModelRef, TaskSpec } from './events';

/** How many candidates a best-of task may have. */
export const MIN_CANDIDATES = 2;
export const MAX_CANDIDATES = 4;

/** What `candidatesFor` reads of a configuration (the engine's, or a session's snapshot of it). */
interface BestOfConfig {
  orchestrator: ModelRef;
  roles: Record<string, ModelRef & { bestOf?: ModelRef[] }>;
  bestOf?: number;
}

/** The configured models, one per provider, in the order the configuration names them (orchestrator, then roles); `first`: this one leads. */
function modelPerProvider(cfg: BestOfConfig, first?: ModelRef): ModelRef[] {
  const out: ModelRef[] = [];
  for (const r of [first, cfg.orchestrator, ...Object.values(cfg.roles)])
    if (r && !out.some((x) => x.provider === r.provider)) out.push({ provider: r.provider, model: r.model });
  return out;
}

/**
 * The models that each do task `t` in a copy of their own (best of several), or undefined when one agent
 * does it: the plan's `candidates`, else its role's `bestOf`, else — for a task with a check — the first
 * `bestOf` configured providers (the task's role's model first, then one model per other provider).
 */
export function candidatesFor(t: Pick<TaskSpec, 'role' | 'check' | 'candidates'>, cfg: BestOfConfig): ModelRef[] | undefined {
  if (t.candidates?.length) return t.candidates;
  const role = cfg.roles[t.role];
  if (role?.bestOf?.length) return role.bestOf.map(({ provider, model }) => ({ provider, model }));
  if (cfg.bestOf && t.check?.trim()) {
    const all = modelPerProvider(cfg, role);
    return all.length >= MIN_CANDIDATES ? all.slice(0, cfg.bestOf) : undefined;
  }
  return undefined;
}
