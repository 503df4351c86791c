// Dollars spent, folded from the per-provider figures: the engine's budget on resume, the status bar,
// the session list and the panel all read it here.

import type { SessionState } from './state';

/** Dollars the session's priced calls cost, and how many calls had no price (then the total is unknown). */
export function spending(s: SessionState): { usd: number; unpricedCalls: number } {
  let usd = 0;
  let unpricedCalls = 0;
  for (const f of Object.values(s.providers)) {
    usd += f.costUsd;
    unpricedCalls += f.unpricedCalls;
  }
  return { usd, unpricedCalls };
}
