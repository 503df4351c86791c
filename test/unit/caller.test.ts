// The model caller's retry policy, with a clock that records every wait instead of sleeping: the
// waits are exactly what retry-after said, else exponential backoff, always capped.

import * as assert from 'node:assert/strict';
import { ModelCaller } from '../../src/core/session/caller';
import { pricingFor } from '../../src/core/money/pricing';
import type { Clock } from '../../src/core/ports';
import { ScriptedProvider, type Step } from '../helpers/scripted';
import { ledger } from '../helpers/ledger';

function harness(steps: Step[], retry = { maxRetries: 3, baseBackoffMs: 100, maxBackoffMs: 60_000 }) {
  const waits: number[] = [];
  let now = 0;
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
  const { sink, events, budget } = ledger(undefined, () => now);
  const provider = new ScriptedProvider('p', (_req, n) => steps[Math.min(n, steps.length - 1)]!);
  const caller = new ModelCaller({ sink, clock, budget, pricing: pricingFor({ pricing: {}, providers: {} }), resolve: () => provider, retry, providerLimit: () => 4, signal: new AbortController().signal });
  const call = () => caller.call({ provider: 'p', model: 'm' }, { system: '', messages: [{ role: 'user', content: 'hi' }], tools: [], maxOutputTokens: 10 }, { agentId: 'a', trace: 't#1' });
  return { waits: waits as readonly number[], events, call };
}

const rateLimited = (retryAfterMs?: number): Step => ({ error: { code: 'rate_limit', status: 429, retryable: true, retryAfterMs } });
const ok: Step = { text: 'done' };

describe('caller: retry policy', () => {
  it('waits exactly what retry-after says before each retry', async () => {
    const h = harness([rateLimited(1234), rateLimited(2345), ok]);
    const r = await h.call();
    assert.equal(r.text, 'done');
    assert.deepEqual(h.waits, [1234, 2345]);
  });

  it('backs off exponentially from the base when the provider gives no retry-after', async () => {
    const h = harness([rateLimited(), rateLimited(), rateLimited(), ok]);
    await h.call();
    assert.deepEqual(h.waits, [100, 200, 400]);
  });

  it('never waits longer than maxBackoffMs, even when retry-after asks for more', async () => {
    const h = harness([rateLimited(90_000), ok], { maxRetries: 3, baseBackoffMs: 100, maxBackoffMs: 5_000 });
    await h.call();
    assert.deepEqual(h.waits, [5_000]);
  });

  it('gives up after maxRetries and does not retry what is not retryable', async () => {
    const h = harness([rateLimited(10)], { maxRetries: 2, baseBackoffMs: 1, maxBackoffMs: 50 });
    await assert.rejects(h.call(), /failed after 3 attempts/);
    assert.deepEqual(h.waits, [10, 10]);
    const auth = harness([{ error: { code: 'auth', status: 401, retryable: false } }, ok]);
    await assert.rejects(auth.call(), /failed after 1 attempt:/);
    assert.deepEqual(auth.waits, []);
  });
});
