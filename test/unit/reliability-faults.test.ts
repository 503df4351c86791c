// The reliability fault matrix: every fault a provider can send × every provider kind, through the REAL
// SDKs against the wire-exact fakes, asserting how each is classified (code, retryable, retryAfterMs);
// then, for the faults whose handling matters most, what the engine does with them in a session.
// The matrix is printed once as a table (rows faults, columns providers).

import assert from 'node:assert/strict';
import { ProviderError, type ChatProvider, type ChatRequest } from '../../src/core/ports';
import { startFakeServer, type FakeKind } from '../../src/fakes/index';
import type { FakeReply, FakeServer } from '../../src/fakes/script';
import { createProvider, type ProviderKind } from '../../src/providers/index';
import { conv, planStep, turn, writesThenFinishes, type Step } from '../helpers/scripted';
import { ofType, testConfig } from '../helpers/session';
import { runWithFakes } from '../helpers/fake-session';
import { foldEvents } from '../../src/core/fold/state';

const KINDS: { kind: ProviderKind; fake: FakeKind }[] = [
  { kind: 'openai', fake: 'openai' },
  { kind: 'anthropic', fake: 'anthropic' },
  { kind: 'gemini', fake: 'gemini' },
  { kind: 'openai-compatible', fake: 'openai' },
];

interface Expect {
  code: ProviderError['code'];
  retryable: boolean;
  /** Exact, or a [min, max] range (RFC 3339 reset times are relative to the clock). */
  retryAfterMs?: number | [number, number];
}

/** How one fault is caused for a provider kind, and what it must be classified as; `na` says why it cannot happen. */
type Cell = { reply: FakeReply; expect: Expect; timeoutMs?: number; abortAfterMs?: number } | { na: string };

interface Fault {
  name: string;
  cell(kind: ProviderKind): Cell;
}

const TEXT = { text: 'abcdefghijklmnop', chunkSize: 4, usage: { input: 50, output: 9 } };

const FAULTS: Fault[] = [
  {
    name: '429 with retry-after',
    // Gemini ignores the header: its own delay is the RetryInfo in the body, which the fake sends too.
    cell: () => ({ reply: { kind: 'error', status: 429, retryAfterS: 1 }, expect: { code: 'rate_limit', retryable: true, retryAfterMs: 1000 } }),
  },
  {
    name: '429 with rate-limit reset headers',
    cell: (kind) =>
      kind === 'gemini'
        ? { na: 'Gemini sends no rate-limit headers; its wait is the RetryInfo (row above)' }
        : { reply: { kind: 'error', status: 429, resetAfterMs: 1000 }, expect: { code: 'rate_limit', retryable: true, retryAfterMs: kind === 'anthropic' ? [850, 1000] : 1000 } },
  },
  { name: '500 server error', cell: () => ({ reply: { kind: 'error', status: 500 }, expect: { code: 'server', retryable: true } }) },
  {
    name: '503 / 529 overloaded',
    cell: (kind) => (kind === 'anthropic'
      ? { reply: { kind: 'error', status: 529, message: 'Overloaded' }, expect: { code: 'overloaded', retryable: true } }
      : { reply: { kind: 'error', status: 503, message: 'The model is overloaded' }, expect: { code: 'server', retryable: true } }),
  },
  { name: '401 bad key', cell: () => ({ reply: { kind: 'error', status: 401 }, expect: { code: 'auth', retryable: false } }) },
  { name: '403 forbidden', cell: () => ({ reply: { kind: 'error', status: 403 }, expect: { code: 'permission', retryable: false } }) },
  {
    name: 'quota / billing',
    // A compatible server's out-of-money answer is OpenRouter's 402 "insufficient credits".
    cell: (kind) => ({ reply: kind === 'openai-compatible' ? { kind: 'error', status: 402, message: 'Insufficient credits' } : { kind: 'quota' }, expect: { code: 'quota', retryable: false } }),
  },
  // The provider's own 400 for a prompt over the model's window, with the numbers it gives.
  { name: 'context window overflow', cell: () => ({ reply: { kind: 'overflow', promptTokens: 130_512, window: 128_000 }, expect: { code: 'context_overflow', retryable: false } }) },
  { name: 'refusal', cell: () => ({ reply: { kind: 'reply', refusal: 'I will not do that.', usage: { input: 20, output: 6 } }, expect: { code: 'refusal', retryable: false } }) },
  {
    name: 'error frame mid-stream',
    cell: (kind) => {
      if (kind === 'anthropic') return { reply: { kind: 'stream_error', afterChunks: 3, status: 529, ...TEXT }, expect: { code: 'overloaded', retryable: true } };
      if (kind === 'openai-compatible') return { reply: { kind: 'stream_error', afterChunks: 2, status: 429, numeric: true, ...TEXT }, expect: { code: 'rate_limit', retryable: true } };
      return { reply: { kind: 'stream_error', afterChunks: 2, status: 500, ...TEXT }, expect: { code: 'server', retryable: true } };
    },
  },
  { name: 'stream cut', cell: () => ({ reply: { kind: 'cut', afterChunks: 2, ...TEXT }, expect: { code: 'stream_cut', retryable: true } }) },
  { name: 'malformed tool args', cell: () => ({ reply: { kind: 'malformed_args', name: 'write_file' }, expect: { code: 'bad_response', retryable: true } }) },
  { name: 'timeout (server hangs)', cell: () => ({ reply: { kind: 'hang' }, timeoutMs: 250, expect: { code: 'timeout', retryable: true } }) },
  { name: 'abort (user cancels)', cell: () => ({ reply: { kind: 'hang' }, abortAfterMs: 50, expect: { code: 'aborted', retryable: false } }) },
];

const request: ChatRequest = {
  model: 'm', system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }], maxOutputTokens: 128, trace: 'task/x#1',
  tools: [{ name: 'write_file', description: 'Write', parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } } }],
};

async function classify(p: ChatProvider, abortAfterMs?: number): Promise<ProviderError> {
  const controller = new AbortController();
  if (abortAfterMs !== undefined) setTimeout(() => controller.abort(), abortAfterMs);
  try {
    for await (const _ of p.chat(request, controller.signal)) {
      // drain
    }
  } catch (e) {
    assert.ok(e instanceof ProviderError, `expected a ProviderError, got ${String(e)}`);
    return e;
  }
  assert.fail('the fault did not fail the turn');
}

const label = (e: ProviderError) => `${e.code}/${e.retryable ? 'retry' : 'no retry'}${e.retryAfterMs === undefined ? '' : ` ${Math.round(e.retryAfterMs / 50) * 50}ms`}`;

describe('reliability fault matrix', () => {
  const fakes = new Map<FakeKind, FakeServer>();
  const table = new Map<string, Map<ProviderKind, string>>();
  const notes: string[] = [];

  before(async () => {
    for (const fk of ['openai', 'anthropic', 'gemini'] as const) fakes.set(fk, await startFakeServer(fk, () => ({ kind: 'hang' })));
  });
  after(async () => {
    for (const f of fakes.values()) await f.close();
    const width = Math.max(...FAULTS.map((f) => f.name.length));
    const cols = KINDS.map((k) => k.kind);
    const cellWidth = Math.max(...[...table.values()].flatMap((r) => [...r.values()].map((c) => c.length)), ...cols.map((c) => c.length));
    const line = (first: string, cells: string[]) => `| ${first.padEnd(width)} | ${cells.map((c) => c.padEnd(cellWidth)).join(' | ')} |`;
    const rows = [line('fault', cols), `|${'-'.repeat(width + 2)}|${cols.map(() => '-'.repeat(cellWidth + 2)).join('|')}|`];
    for (const f of FAULTS) rows.push(line(f.name, cols.map((k) => table.get(f.name)?.get(k) ?? '(not run)')));
    console.log(`\n${rows.join('\n')}\n${notes.map((n, i) => `[${i + 1}] ${n}`).join('\n')}\n`);
  });

  for (const fault of FAULTS) {
    for (const { kind, fake: fk } of KINDS) {
      const cell = fault.cell(kind);
      const record = (text: string) => {
        if (!table.has(fault.name)) table.set(fault.name, new Map());
        table.get(fault.name)!.set(kind, text);
      };
      if ('na' in cell) {
        it(`${fault.name} × ${kind}: n/a (${cell.na})`, () => {
          notes.push(`${fault.name} × ${kind}: ${cell.na}`);
          record(`n/a [${notes.length}]`);
        });
        continue;
      }
      it(`${fault.name} × ${kind} → ${cell.expect.code}${cell.expect.retryable ? ', retryable' : ', not retryable'}`, async () => {
        const fake = fakes.get(fk)!;
        fake.setHandler(() => cell.reply);
        const before = fake.requests.length;
        const provider = createProvider({ id: kind, kind, apiKey: 'k', baseUrl: fake.baseUrl, timeoutMs: cell.timeoutMs ?? 5000 });
        const e = await classify(provider, cell.abortAfterMs);
        record(label(e));
        assert.deepEqual([e.code, e.retryable, e.provider], [cell.expect.code, cell.expect.retryable, kind], e.message);
        if (e.code === 'context_overflow') assert.deepEqual(e.overflow, { promptTokens: 130_512, window: 128_000 }, 'the numbers in the answer are read');
        const want = cell.expect.retryAfterMs;
        if (Array.isArray(want)) assert.ok(e.retryAfterMs !== undefined && e.retryAfterMs >= want[0] && e.retryAfterMs <= want[1], `retryAfterMs ${e.retryAfterMs}`);
        else assert.equal(e.retryAfterMs, want);
        assert.equal(fake.requests.length - before, 1, 'the adapter never retries by itself: one request');
      });
    }
  }
});

describe('reliability faults in a session', () => {
  const fakes = new Map<FakeKind, FakeServer>();
  before(async () => {
    for (const fk of ['openai', 'anthropic', 'gemini'] as const) fakes.set(fk, await startFakeServer(fk, () => ({ kind: 'hang' })));
  });
  after(async () => {
    for (const f of fakes.values()) await f.close();
  });

  const orchestrator = (req: ChatRequest): Step => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { error: { code: 'bad_request', retryable: false, message: `unexpected ${req.trace}` } });
  /** Role a: a real provider (p1) with the scripted p2 as its fallback. */
  const withFallback = testConfig({ roles: { a: { provider: 'p1', model: 'm-1', fallback: { provider: 'p2', model: 'm-2' } }, b: { provider: 'p2', model: 'm-2' } } });

  for (const { kind, fake: fk } of KINDS) {
    it(`${kind}: quota → one request, no retry, an immediate switch whose reason tells which provider needs billing`, async () => {
      const fake = fakes.get(fk)!;
      fake.setHandler(() => (kind === 'openai-compatible' ? { kind: 'error', status: 402, message: 'Insufficient credits' } : { kind: 'quota' }));
      const before = fake.requests.length;
      const r = runWithFakes('quota', { orch: orchestrator, p2: writesThenFinishes({ 'a.txt': 'from p2' }) }, { p1: { kind, fake } }, withFallback);
      const state = await r.handle.done;
      assert.equal(state.status, 'completed');
      assert.equal(fake.requests.length - before, 1, 'never retried');
      const ev = r.events();
      const errors = ofType(ev, 'llm.error').filter((e) => e.provider === 'p1');
      assert.deepEqual(errors.map((e) => [e.code, e.retryable]), [['quota', false]]);
      const sw = ofType(ev, 'provider.switched');
      assert.equal(sw.length, 1);
      assert.match(sw[0]!.reason, /no quota left .*Check billing/);
      assert.ok(sw[0]!.reason.includes(kind === 'openai-compatible' ? 'Provider "p1"' : { openai: 'OpenAI', anthropic: 'Anthropic', gemini: 'Gemini' }[kind]), sw[0]!.reason);
      assert.equal(state.tasks.t1!.provider, 'p2');
      // The panel's incidents list it as "p1/m-1 needs billing attention" (webview/sections.ts).
      const alerts = foldEvents(ev).providerAlerts;
      assert.deepEqual(alerts.map((a) => [a.code, a.provider, a.taskId]), [['quota', 'p1', 't1']]);
      assert.equal(alerts[0]!.message, errors[0]!.message);
    });

    it(`${kind}: refusal → no retry, a switch whose reason carries the model's words, and the words in the log`, async () => {
      const words = 'I am not able to write that file for you.';
      const fake = fakes.get(fk)!;
      fake.setHandler(() => ({ kind: 'reply', refusal: words, usage: { input: 30, output: 12 } }));
      const before = fake.requests.length;
      const r = runWithFakes('refusal', { orch: orchestrator, p2: writesThenFinishes({ 'a.txt': 'from p2' }) }, { p1: { kind, fake } }, withFallback);
      const state = await r.handle.done;
      assert.equal(state.status, 'completed');
      assert.equal(fake.requests.length - before, 1, 'never retried');
      const ev = r.events();
      const err = ofType(ev, 'llm.error').find((e) => e.provider === 'p1');
      assert.equal(err?.code, 'refusal');
      assert.ok(err!.message.includes(words), err!.message);
      assert.ok(err!.costUsd! > 0, 'the refused answer was billed and counts');
      assert.ok(ofType(ev, 'provider.switched')[0]?.reason.includes(words));
      assert.ok(foldEvents(ev).providerAlerts.some((a) => a.code === 'refusal' && a.message.includes(words)), 'the panel shows the words');
    });
  }

  it('refusal on every route (the orchestrator is the last one) → the task is escalated with the words as the reason', async () => {
    const fake = fakes.get('anthropic')!;
    const plan = { id: 't1', title: 'Task t1', description: 'Do t1', role: 'a', dependsOn: [] };
    fake.setHandler((req): FakeReply => {
      const key = (req.trace ?? '').replace(/#\d+$/, '');
      if (key === 'plan') return { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'one task', tasks: [plan] } }] };
      if (key === 'escalate/t1') return { kind: 'reply', toolCalls: [{ name: 'skip_task', arguments: { taskId: 't1', reason: 'the model refuses it' } }] };
      return { kind: 'reply', refusal: 'No, I will not.' };
    });
    const config = testConfig({ roles: { a: { provider: 'p1', model: 'm-1' }, b: { provider: 'p1', model: 'm-1' } } });
    const r = runWithFakes('refusal-escalate', {}, { orch: { kind: 'anthropic', fake }, p1: { kind: 'anthropic', fake } }, config);
    await r.handle.done;
    const ev = r.events();
    const esc = ofType(ev, 'task.escalated');
    assert.equal(esc.length, 1);
    assert.ok(esc[0]!.reason.includes('No, I will not.'), esc[0]!.reason);
    assert.deepEqual(ofType(ev, 'llm.error').map((e) => [e.provider, e.code]), [['p1', 'refusal'], ['orch', 'refusal']]);
    assert.equal(ofType(ev, 'task.skipped').length, 1);
  });

  it('a provider out of quota is not asked again in the session: later tasks switch without a request', async () => {
    const fake = fakes.get('gemini')!;
    fake.setHandler(() => ({ kind: 'quota' }));
    const before = fake.requests.length;
    const two = (req: ChatRequest): Step => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }, { id: 't2', role: 'a', dependsOn: ['t1'] }]) : { error: { code: 'bad_request', retryable: false } });
    const p2 = (req: ChatRequest) => writesThenFinishes({ [`${conv(req).slice(5)}.txt`]: 'p2' })(req);
    const r = runWithFakes('quota-twice', { orch: two, p2 }, { p1: { kind: 'gemini', fake } }, withFallback);
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    assert.equal(fake.requests.length - before, 1, 'one request for the whole session');
    const sw = ofType(r.events(), 'provider.switched');
    assert.deepEqual(sw.map((w) => w.taskId), ['t1', 't2']);
    assert.ok(sw.every((w) => /Gemini: the account has no quota left/.test(w.reason)), sw.map((w) => w.reason).join('\n'));
  });

  it('a 429 with reset headers is retried on the same provider (no switch), unlike quota', async () => {
    const fake = fakes.get('openai')!;
    let n = 0;
    fake.setHandler((req) => (++n === 1 ? { kind: 'error', status: 429, resetAfterMs: 5 } : turn({ trace: req.trace } as ChatRequest) === 1
      ? { kind: 'reply', toolCalls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'p1' } }] }
      : { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }));
    const r = runWithFakes('reset', { orch: orchestrator, p2: writesThenFinishes({ 'b.txt': 'p2' }) }, { p1: { kind: 'openai', fake } }, withFallback);
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const ev = r.events();
    assert.deepEqual(ofType(ev, 'llm.error').map((e) => [e.code, e.retryAfterMs]), [['rate_limit', 5]]);
    assert.equal(ofType(ev, 'provider.switched').length, 0);
    assert.equal(state.tasks.t1!.provider, 'p1');
  });
});
