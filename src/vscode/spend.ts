// Dollars spent so far, from the fold: unknown (never $0.00) when a call had no price.
import type { SessionState } from '../core/fold/state';
import { spending } from '../core/fold/spending';

export function spentText(s: SessionState): string {
  const { usd, unpricedCalls } = spending(s);
  if (unpricedCalls && !usd) return 'unknown cost';
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}${unpricedCalls ? ' + unknown' : ''}`;
}
