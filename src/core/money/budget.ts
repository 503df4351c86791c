// The hard dollar cap. Each request reserves its worst case (prompt + max output tokens at the
// model's price) before it is sent and settles to its real cost after, so agents running in parallel
// cannot overshoot the cap together. When a reservation does not fit, no new request starts.

export class BudgetExhaustedError extends Error {
  constructor(
    readonly limitUsd: number,
    readonly spentUsd: number,
    readonly reservedUsd: number,
    readonly requestedUsd: number,
  ) {
    super(`Budget of $${limitUsd.toFixed(2)} reached: $${spentUsd.toFixed(4)} spent, $${reservedUsd.toFixed(4)} reserved by calls in flight, the next call could cost up to $${requestedUsd.toFixed(4)}.`);
    this.name = 'BudgetExhaustedError';
  }
}

export interface Reservation {
  readonly amountUsd: number;
  /** Replaces the reservation with what the call really cost (null: unknown, keep the reservation). */
  settle(actualUsd: number | null): void;
}

export class Budget {
  private spent = 0;
  private reserved = 0;
  private exhausted = false;

  /** `limitUsd` undefined means no cap (spending is still counted). */
  constructor(readonly limitUsd: number | undefined, alreadySpentUsd = 0) {
    this.spent = alreadySpentUsd;
  }

  get spentUsd(): number {
    return this.spent;
  }

  get reservedUsd(): number {
    return this.reserved;
  }

  get isExhausted(): boolean {
    return this.exhausted;
  }

  /** Reserves `worstCaseUsd` or throws BudgetExhaustedError; synchronous, so checks cannot interleave. */
  reserve(worstCaseUsd: number): Reservation {
    if (this.limitUsd !== undefined && (this.exhausted || this.spent + this.reserved + worstCaseUsd > this.limitUsd)) {
      this.exhausted = true;
      throw new BudgetExhaustedError(this.limitUsd, this.spent, this.reserved, worstCaseUsd);
    }
    this.reserved += worstCaseUsd;
    let settled = false;
    return {
      amountUsd: worstCaseUsd,
      settle: (actualUsd) => {
        if (settled) return;
        settled = true;
        this.reserved -= worstCaseUsd;
        this.spent += actualUsd ?? worstCaseUsd;
      },
    };
  }
}

/** A rough upper estimate of a prompt's tokens: ~3 characters per token (English and code run ~4). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}
