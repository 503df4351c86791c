// The budget: reservations for worst cases, checked against the money fold (what the log says was charged).

import * as assert from 'node:assert/strict';
import { BudgetExhaustedError } from '../../src/core/money/budget';
import { ledger } from '../helpers/ledger';

describe('budget', () => {
  const request = (callId: string, reservedUsd: number) => ({ type: 'llm.request' as const, callId, agentId: 'a', provider: 'p', model: 'm', trace: 't#1', attempt: 1, reservedUsd });
  const response = (callId: string, costUsd: number | null) => ({ type: 'llm.response' as const, callId, agentId: 'a', provider: 'p', model: 'm', latencyMs: 1, usage: { input: 1, output: 1 }, costUsd, stopReason: 'end', toolCalls: [] });

  it('reserves worst cases so parallel calls cannot overshoot together, then settles to real cost', () => {
    const { budget: b, sink } = ledger(1.0);
    b.reserve(0.4);
    sink.emit(request('c1', 0.4));
    b.reserve(0.4);
    sink.emit(request('c2', 0.4));
    assert.throws(() => b.reserve(0.4), BudgetExhaustedError);
    sink.emit(response('c1', 0.1));
    sink.emit(response('c2', 0.1));
    assert.ok(Math.abs(b.spentUsd - 0.2) < 1e-9);
    assert.equal(b.reservedUsd, 0);
    assert.equal(b.isExhausted, true); // once refused, no new request starts
  });

  it('keeps the worst case of a call whose cost is unknown counted against the cap', () => {
    const { budget: b, sink, money } = ledger(1.0);
    sink.emit(request('c1', 0.5));
    sink.emit(response('c1', null)); // a model without a price
    sink.emit(request('c2', 0.3));
    sink.emit({ type: 'llm.error', callId: 'c2', agentId: 'a', provider: 'p', model: 'm', latencyMs: 1, code: 'stream_cut', retryable: true, message: 'cut' }); // mid-answer, no usage
    sink.emit(request('c3', 0.3));
    sink.emit({ type: 'llm.error', callId: 'c3', agentId: 'a', provider: 'p', model: 'm', latencyMs: 1, code: 'rate_limit', retryable: true, message: '429' }); // before any answer: free
    assert.deepEqual([money.spentUsd, money.unknownCalls, money.reservedUsd], [0, 2, 0]);
    assert.ok(Math.abs(b.spentUsd - 0.8) < 1e-9, `charged ${b.spentUsd}`);
    assert.throws(() => b.reserve(0.3), BudgetExhaustedError);
  });
});
