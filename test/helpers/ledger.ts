// A sink for engine parts tested without a session: it records the events and folds them into the
// money, as a session's log does, and a Budget reads that money (so reservations and settlements go
// through the same fold as in a session).

import { Budget } from '../../src/core/money/budget';
import { applyMoney, initialMoney, type MoneyState } from '../../src/core/fold/money';
import type { EnsembleEvent, EventBody, EventSink } from '../../src/core/events';

export interface Ledger {
  sink: EventSink;
  events: EventBody[];
  money: MoneyState;
  budget: Budget;
}

export function ledger(limitUsd?: number, now: () => number = Date.now): Ledger {
  const money = initialMoney();
  const events: EventBody[] = [];
  const sink: EventSink = {
    emit: (b) => {
      events.push(b);
      const e = { ...b, v: 1, seq: events.length, ts: now() } as EnsembleEvent;
      applyMoney(money, e);
      return e;
    },
  };
  return { sink, events, money, budget: new Budget(limitUsd, money) };
}
