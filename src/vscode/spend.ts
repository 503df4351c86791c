// Dollars spent so far, from the fold: unknown (never $0.00) when a call had no price.
import type { SessionState } from '../core/fold/state';

export function spent(s: SessionState): { usd: number; unknownCalls: number } {
  let usd = 0;
  let unknownCalls = 0;
  for (const f of Object.values(s.providers)) {
    usd += f.costUsd;
    unknownCalls += f.unpricedCalls;
  }
  return { usd, unknownCalls };
}

export function spentText(s: SessionState): string {
  const { usd, unknownCalls } = spent(s);
  if (unknownCalls && !usd) return 'unknown cost';
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}${unknownCalls ? ' + unknown' : ''}`;
}
