// The hard dollar cap. Each request reserves its worst case (prompt + max output tokens at the
// model's price) before it is sent and settles to its real cost after, so agents running in parallel
// cannot overshoot the cap together. When a reservation does not fit, no new request starts. The
// reservations and the settlements are events; the money fold (fold/money.ts) counts them.

import { usdText, type MoneyState } from '../fold/money';

export class BudgetExhaustedError extends Error {
  constructor(
    readonly limitUsd: number,
    readonly spentUsd: number,
    readonly reservedUsd: number,
    readonly requestedUsd: number,
  ) {
    super(
      `Budget of ${usdText(limitUsd)} reached: ${usdText(spentUsd)} spent (calls of unknown cost counted at their worst case), ${usdText(reservedUsd)} reserved by calls in flight, the next call could cost up to ${usdText(requestedUsd)}.`,
    );
    this.name = 'BudgetExhaustedError';
  }
}

export class Budget {
  private exhausted = false;

  /**
   * `limitUsd` undefined means no cap. `money` is the session's money fold (its state's `money`, kept
   * current by the log): what the cap counts comes from there, so a resumed session starts from the
   * figure the last run ended on, worst cases of calls of unknown cost included.
   */
  constructor(
    readonly limitUsd: number | undefined,
    private readonly money: MoneyState,
  ) {}

  /** What the cap counts: known dollars plus the worst cases kept for calls of unknown cost. */
  get spentUsd(): number {
    return this.money.chargedUsd;
  }

  get reservedUsd(): number {
    return this.money.reservedUsd;
  }

  get isExhausted(): boolean {
    return this.exhausted;
  }

  /**
   * Admits a call that may cost up to `worstCaseUsd`, or throws BudgetExhaustedError. The caller
   * records the reservation by emitting the call's `llm.request` (with `reservedUsd`) before it awaits
   * anything: the fold counts it from then on, until the call's answer or error settles it. Nothing
   * interleaves in between, so parallel calls cannot pass the cap together.
   */
  reserve(worstCaseUsd: number): void {
    if (this.limitUsd === undefined) return;
    if (this.exhausted || this.money.chargedUsd + this.money.reservedUsd + worstCaseUsd > this.limitUsd) {
      this.exhausted = true;
      throw new BudgetExhaustedError(this.limitUsd, this.money.chargedUsd, this.money.reservedUsd, worstCaseUsd);
    }
  }
}

/** A rough upper estimate of a prompt's tokens from its text or its length: ~3 characters per token (English and code run ~4). */
export function estimateTokens(text: string | number): number {
  return Math.ceil((typeof text === 'number' ? text : text.length) / 3);
}
