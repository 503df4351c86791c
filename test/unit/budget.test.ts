// The budget: reservations for worst cases, settled to the real cost.

import * as assert from 'node:assert/strict';
import { Budget, BudgetExhaustedError } from '../../src/core/money/budget';

describe('budget', () => {
  it('reserves worst cases so parallel calls cannot overshoot together, then settles to real cost', () => {
    const b = new Budget(1.0);
    const r1 = b.reserve(0.4);
    const r2 = b.reserve(0.4);
    assert.throws(() => b.reserve(0.4), BudgetExhaustedError);
    r1.settle(0.1);
    r2.settle(0.1);
    assert.ok(Math.abs(b.spentUsd - 0.2) < 1e-9);
    assert.equal(b.isExhausted, true); // once refused, no new request starts
  });
});
