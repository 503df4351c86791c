// The report's metrics from literal events: unknown cost stays unknown.

import * as assert from 'node:assert/strict';
import { foldEvents } from '../../src/core/fold/state';
import { buildReport } from '../../src/core/fold/report';

describe('report fold', () => {
  it('reports unknown cost as null, never $0, and success rate from calls', () => {
    const base = { v: 1, ts: 1 };
    const s = foldEvents([
      { ...base, seq: 1, type: 'session.started', sessionId: 's', goal: 'g', config: { orchestrator: { provider: 'a', model: 'm' }, roles: {}, maxConcurrency: 1 } },
      { ...base, seq: 2, type: 'llm.response', callId: 'c1', agentId: 'x', provider: 'a', model: 'm', latencyMs: 100, usage: { input: 10, output: 5 }, costUsd: 0.5, stopReason: 'end', toolCalls: [] },
      { ...base, seq: 3, type: 'llm.response', callId: 'c2', agentId: 'x', provider: 'b', model: 'n', latencyMs: 300, usage: { input: 10, output: 5 }, costUsd: null, stopReason: 'end', toolCalls: [] },
      { ...base, seq: 4, type: 'llm.error', callId: 'c3', agentId: 'x', provider: 'a', model: 'm', latencyMs: 5, code: 'server', status: 503, retryable: true, message: 'down' },
    ]);
    const r = buildReport(s);
    assert.equal(r.metrics.costUsd.a, 0.5);
    assert.equal(r.metrics.costUsd.b, null);
    assert.equal(r.metrics.costUsd.total, null);
    assert.equal(r.metrics.avgLatencyMs, 200);
    assert.equal(r.metrics.successRate, 0.666667);
    assert.deepEqual(r.metrics.tokens.a, { input: 10, output: 5, cachedInput: 0, cacheWrite: 0 });
  });
});
