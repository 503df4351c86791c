// The engine's foundations: the log, the file store, prices, the budget, plan validation.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EventLog, parseEvents } from '../../src/core/store/log';
import { NodeFileStore } from '../../src/node/file-store';
import { PathError } from '../../src/core/paths';
import { pricingFor } from '../../src/core/money/pricing';
import { BudgetExhaustedError } from '../../src/core/money/budget';
import { criticalPath, validatePlan } from '../../src/core/session/plan';
import { foldEvents } from '../../src/core/fold/state';
import { buildReport } from '../../src/core/fold/report';
import { Semaphore } from '../../src/core/session/semaphore';
import { missingKeys, resolveConfig, ConfigError } from '../../src/core/config';
import { tempWorkspace } from '../helpers/tmp';
import { ledger } from '../helpers/ledger';

describe('event log', () => {
  it('appends one JSON line per event and reads them back in order', () => {
    const dir = tempWorkspace();
    const log = EventLog.open(dir);
    log.emit({ type: 'phase.started', phase: 'planning' });
    log.emit({ type: 'phase.ended', phase: 'planning', outcome: 'ok' });
    log.close();
    const lines = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(lines.map((l) => JSON.parse(l).seq), [1, 2]);
    assert.equal(JSON.parse(lines[0]!).v, 1);
  });

  it('tolerates a truncated last line (a crash mid-write) and cuts it off before appending', () => {
    const dir = tempWorkspace();
    const log = EventLog.open(dir);
    log.emit({ type: 'phase.started', phase: 'planning' });
    log.close();
    fs.appendFileSync(path.join(dir, 'events.jsonl'), '{"type":"phase.ended","pha');
    assert.equal(parseEvents(fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8')).skipped, 1);
    const again = EventLog.open(dir);
    assert.equal(again.existing.length, 1);
    again.emit({ type: 'phase.ended', phase: 'planning', outcome: 'ok' });
    again.close();
    const { events, skipped } = parseEvents(fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8'));
    assert.equal(skipped, 0);
    assert.deepEqual(events.map((e) => [e.type, e.seq]), [['phase.started', 1], ['phase.ended', 2]]);
  });
});

describe('file store', () => {
  it('refuses paths that escape the workspace: .., absolute, and through a symlink', async () => {
    const root = tempWorkspace();
    const outside = tempWorkspace();
    fs.symlinkSync(outside, path.join(root, 'link'));
    const store = new NodeFileStore(root);
    for (const p of ['../x.txt', 'a/../../x.txt', '/etc/passwd', 'C:\\x.txt', 'link/x.txt']) {
      await assert.rejects(store.write(p, 'x'), (e: unknown) => e instanceof PathError && e.reason === 'outside_workspace', p);
    }
    await assert.rejects(store.write('.git/config', 'x'), (e: unknown) => e instanceof PathError && e.reason === 'protected');
    assert.deepEqual(fs.readdirSync(outside), []);
  });

  it('writes atomically through a temporary file and lists files without ignored ones', async () => {
    const root = tempWorkspace();
    const store = new NodeFileStore(root);
    await store.write('src/a.js', 'one');
    await store.write('src/a.js', 'two');
    await store.write('node_modules/x/index.js', 'dep');
    await store.write('build/out.js', 'built');
    await store.write('.gitignore', 'build/\n');
    assert.equal(Buffer.from((await store.read('src/a.js'))!).toString(), 'two');
    assert.deepEqual((await store.list()).map((e) => e.path), ['.gitignore', 'src/a.js']);
    assert.deepEqual(fs.readdirSync(path.join(root, 'src')), ['a.js']); // no temp file left
  });
});

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

describe('semaphore', () => {
  it('never lets more than its limit run, even when a newcomer arrives as a slot frees', async () => {
    const s = new Semaphore(2);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const release = await s.acquire();
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, i % 3));
        active--;
        release();
      }),
    );
    assert.equal(peak, 2);
  });
});

describe('plan validation', () => {
  it('accepts a valid plan and measures its critical path', () => {
    const r = validatePlan({ rationale: 'r', tasks: [{ id: 'a', title: 'A', description: 'd', role: 'x', dependsOn: [] }, { id: 'b', title: 'B', description: 'd', role: 'x', dependsOn: ['a'] }] }, ['x']);
    assert.equal(r.ok, true);
    assert.equal(criticalPath(r.ok ? r.tasks : []), 2);
  });

  it('names every problem: empty, duplicates, unknown roles and dependencies, cycles, bad shape', () => {
    const bad = validatePlan({ rationale: 'r', tasks: [{ id: 'a', title: 'A', description: 'd', role: 'x', dependsOn: ['zz'] }, { id: 'a', title: 'A', description: 'd', role: 'y', dependsOn: [] }] }, ['x']);
    assert.equal(bad.ok, false);
    const text = bad.ok ? '' : bad.errors.join('\n');
    assert.match(text, /"a" is used more than once/);
    assert.match(text, /role "y"/);
    assert.match(text, /depends on "zz"/);
    const empty = validatePlan({ rationale: 'r', tasks: [] }, ['x']);
    assert.match(empty.ok ? '' : empty.errors[0]!, /no tasks/);
    const shape = validatePlan({ tasks: 'nope' }, ['x']);
    assert.match(shape.ok ? '' : shape.errors[0]!, /Invalid arguments for submit_plan/);
  });
});

describe('configuration', () => {
  it('defaults to the seed: orchestrator on Claude, frontend OpenAI, backend Gemini, QA a cheap OpenAI model', () => {
    const c = resolveConfig({});
    assert.equal(c.orchestrator.provider, 'anthropic');
    assert.deepEqual([c.roles.frontend!.provider, c.roles.backend!.provider, c.roles.qa!.provider], ['openai', 'gemini', 'openai']);
    const million = { input: 1_000_000, output: 0 };
    assert.ok(pricingFor(c).cost(c.roles.qa!, million)! < pricingFor(c).cost(c.roles.frontend!, million)!);
  });

  it('names each missing key and its variable', () => {
    const missing = missingKeys(resolveConfig({}), (id) => id === 'openai');
    assert.deepEqual(missing.map((m) => [m.provider, m.envVar]), [['anthropic', 'ANTHROPIC_API_KEY'], ['gemini', 'GEMINI_API_KEY']]);
  });

  it('rejects a role on an undefined provider with a clear message', () => {
    assert.throws(() => resolveConfig({ roles: { ui: { provider: 'nope', model: 'x' } } }), (e: unknown) => e instanceof ConfigError && /roles\.ui uses provider "nope"/.test(e.message));
  });
});

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
