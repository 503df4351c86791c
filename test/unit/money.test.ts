// Money is one fold over the call events: what the calls cost, what the cap counts, what is reserved
// in flight; every view says it with the same words; and a cap holds across resumes, calls of unknown
// cost included.

import * as assert from 'node:assert/strict';
import type { EnsembleEvent, EventBody } from '../../src/core/events';
import { foldEvents } from '../../src/core/fold/state';
import { buildReport, renderMarkdown } from '../../src/core/fold/report';
import { moneyText, usdText } from '../../src/core/fold/money';
import { NodeFileStore } from '../../src/node/file-store';
import { NodeCommandRunner } from '../../src/node/command-runner';
import { resumeSession } from '../../src/core/session/session';
import { readEvents } from '../../src/core/store/log';
import { summary } from '../../src/cli/runner';
import { ScriptedProvider, conv, planStep, type Script } from '../helpers/scripted';
import { ofType, run, testConfig } from '../helpers/session';

function log(bodies: EventBody[]): EnsembleEvent[] {
  return bodies.map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: 1000 + i }) as EnsembleEvent);
}

const config = { orchestrator: { provider: 'p', model: 'm' }, roles: {}, maxConcurrency: 1, budgetUsd: 1 };
const req = (callId: string, reservedUsd?: number): EventBody => ({ type: 'llm.request', callId, agentId: 'a', provider: 'p', model: 'm', trace: 't#1', attempt: 1, reservedUsd });
const ok = (callId: string, costUsd: number | null): EventBody => ({ type: 'llm.response', callId, agentId: 'a', provider: 'p', model: 'm', latencyMs: 1, usage: { input: 10, output: 10 }, costUsd, stopReason: 'end', toolCalls: [] });
const fail = (callId: string, code: 'stream_cut' | 'rate_limit' | 'timeout', extra: Partial<Extract<EventBody, { type: 'llm.error' }>> = {}): EventBody => ({ type: 'llm.error', callId, agentId: 'a', provider: 'p', model: 'm', latencyMs: 1, code, retryable: true, message: code, ...extra });

describe('money: one fold over the call events', () => {
  it('spent, charged, reserved and unknown calls, settled by each call\'s answer or error', () => {
    const s = foldEvents(log([
      { type: 'session.started', sessionId: 's', goal: 'g', config },
      req('c1', 0.3), ok('c1', 0.1), // priced: settles to its cost
      req('c2', 0.3), ok('c2', null), // a model without a price: its worst case stays charged
      req('c3', 0.3), fail('c3', 'stream_cut'), // cut off mid-answer without usage: may have been billed
      req('c4', 0.3), fail('c4', 'rate_limit'), // refused before any answer: free
      req('c5', 0.3), fail('c5', 'timeout', { usage: { input: 10, output: 5 }, costUsd: 0.02 }), // usage reported: its cost
      req('c6', 0.3), // still in flight
    ]));
    const m = s.money;
    assert.ok(Math.abs(m.spentUsd - 0.12) < 1e-12, `spent ${m.spentUsd}`);
    assert.ok(Math.abs(m.chargedUsd - 0.72) < 1e-12, `charged ${m.chargedUsd}`);
    assert.equal(m.reservedUsd, 0.3);
    assert.equal(m.unknownCalls, 2);
    // The same rule per provider (and role, task): the report's total and the fold agree.
    assert.equal(s.providers.p!.unknownCalls, 2);
    const r = buildReport(s);
    assert.equal(r.metrics.costUsd.total, null);
    assert.deepEqual([r.budget.spentUsd, r.budget.knownUsd, r.budget.chargedUsd, r.budget.unknownCalls], [null, 0.12, 0.72, 2]);
    assert.match(renderMarkdown(r), /Spent \$0\.1200 \+ unknown of \$1\.00 budget; \$0\.7200 counted against the budget/);
  });

  it('charges the worst case of a call a crash cut off, when the session is resumed', () => {
    const events = log([{ type: 'session.started', sessionId: 's', goal: 'g', config }, req('c1', 0.25), req('c2', 0.5), ok('c2', 0.1), { type: 'session.resumed' }]);
    const m = foldEvents(events).money;
    assert.deepEqual([m.reservedUsd, m.unknownCalls, m.inFlightCalls], [0, 1, 0]);
    assert.ok(Math.abs(m.chargedUsd - 0.35) < 1e-12, `charged ${m.chargedUsd}`);
  });

  it('is said the same way everywhere: known dollars, "unknown cost", or both', () => {
    assert.equal(moneyText({ spentUsd: 0.123456, unknownCalls: 0 }), '$0.1235');
    assert.equal(moneyText({ spentUsd: 12.5, unknownCalls: 0 }), '$12.50');
    assert.equal(moneyText({ spentUsd: 0, unknownCalls: 0 }), '$0.00');
    assert.equal(moneyText({ spentUsd: 0, unknownCalls: 2 }), 'unknown cost');
    assert.equal(moneyText({ spentUsd: 0.12, unknownCalls: 1 }), '$0.1200 + unknown');
    assert.equal(usdText(null), 'unknown cost');
    // The CLI's summary says it with the same words as the panel and the status bar.
    const s = foldEvents(log([{ type: 'session.started', sessionId: 's', goal: 'g', config }, req('c1', 0.3), ok('c1', 0.12), req('c2', 0.3), fail('c2', 'stream_cut')]));
    assert.match(summary(buildReport(s), '/tmp/x'), /Total cost: \$0\.1200 \+ unknown \(1 call of unknown cost/);
  });
});

describe('money: a cap holds across resumes', function () {
  this.timeout(60_000);

  // Every model call may cost up to its worst case (prompt/3 tokens at $1/M + 1000 output tokens at $2/M);
  // each answered one costs 900 in + 900 out = $0.0027; every third is cut off mid-answer (its cost unknown).
  const CAP = 0.05;
  const busy: Script = (_req, n) => (n % 3 === 1 ? { error: { code: 'stream_cut', retryable: true } } : { usage: { input: 900, output: 900 }, toolCalls: [{ name: 'list_files', arguments: {} }] });
  const scripts: Record<string, Script> = {
    orch: (req, n) => (conv(req) === 'plan' ? planStep([{ id: 'x1', role: 'a' }, { id: 'x2', role: 'b' }]) : busy(req, n)),
    p1: busy,
    p2: busy,
  };

  /** What the cap must count, computed from the log here: known costs, plus the worst case of every call whose cost is unknown. */
  function counted(events: EnsembleEvent[]): { charged: number; unknown: number; calls: number } {
    const reserved = new Map(ofType(events, 'llm.request').map((e) => [e.callId, e.reservedUsd ?? 0]));
    let charged = 0;
    let unknown = 0;
    for (const e of events) {
      if (e.type !== 'llm.response' && e.type !== 'llm.error') continue;
      const cost = e.type === 'llm.response' ? e.costUsd : e.usage ? e.costUsd ?? null : e.code === 'stream_cut' ? null : 0;
      if (cost === null) unknown++;
      charged += cost ?? reserved.get(e.callId)!;
    }
    return { charged, unknown, calls: reserved.size };
  }

  it(`a $${CAP} cap resumed four times spends at most the cap in total, calls cut off mid-answer included`, async () => {
    const config = testConfig({ budgetUsd: CAP, maxOutputTokens: 1000 });
    const first = run('spend', scripts, { config });
    assert.equal((await first.handle.done).status, 'budget_exhausted');
    const after = [counted(first.events())];
    for (let i = 0; i < 4; i++) {
      const providers = Object.fromEntries(Object.entries(scripts).map(([id, s]) => [id, new ScriptedProvider(id, s)]));
      const handle = resumeSession({ dir: first.handle.dir, config, deps: { workspace: first.workspace, store: new NodeFileStore(first.workspace), runner: new NodeCommandRunner(), resolve: (id) => providers[id] } });
      const state = await handle.done;
      assert.equal(state.status, 'budget_exhausted');
      const events = readEvents(`${first.handle.dir}/events.jsonl`).events;
      after.push(counted(events));
      // The fold the budget reads is what the log says the cap counted.
      assert.ok(Math.abs(state.money.chargedUsd - after.at(-1)!.charged) < 1e-12, `fold ${state.money.chargedUsd} vs log ${after.at(-1)!.charged}`);
    }
    const total = after.at(-1)!;
    assert.ok(after[0]!.unknown > 0, 'the first run had calls of unknown cost');
    assert.ok(after[0]!.charged > CAP * 0.8, `the first run used most of the cap (${after[0]!.charged})`);
    assert.ok(total.charged <= CAP + 1e-12, `charged $${total.charged} in total against a $${CAP} cap (${after.map((x) => x.calls).join(', ')} calls after each run)`);
  });
});
