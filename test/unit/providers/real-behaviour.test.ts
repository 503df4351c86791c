// What real providers send beyond the happy path, through the REAL SDKs against the wire-exact fakes:
// refusals, quota and billing errors, rate-limit reset headers, numeric mid-stream error codes,
// reasoning tokens, and thinking / thought signatures that must go back verbatim in the next turn.

import assert from 'node:assert/strict';
import { ProviderError, type ChatChunk, type ChatMessage, type ChatProvider, type ChatRequest, type ProviderData } from '../../../src/core/ports';
import { startFakeServer, type FakeKind } from '../../../src/fakes/index';
import { goDuration } from '../../../src/fakes/openai';
import type { FakeReply, FakeServer } from '../../../src/fakes/script';
import { parseGoDuration, parseRateLimitReset } from '../../../src/providers/errors';
import { createProvider, type ProviderKind } from '../../../src/providers/index';
import { foldEvents } from '../../../src/core/fold/state';
import { reportFromEvents } from '../../../src/core/fold/report';
import { conv, planStep, type Step } from '../../helpers/scripted';
import { ofType, testConfig } from '../../helpers/session';
import { runWithFakes } from '../../helpers/fake-session';

const KINDS: { kind: ProviderKind; fake: FakeKind; vendor: string; keyVar: string }[] = [
  { kind: 'openai', fake: 'openai', vendor: 'OpenAI', keyVar: 'OPENAI_API_KEY' },
  { kind: 'anthropic', fake: 'anthropic', vendor: 'Anthropic', keyVar: 'ANTHROPIC_API_KEY' },
  { kind: 'gemini', fake: 'gemini', vendor: 'Gemini', keyVar: 'GEMINI_API_KEY' },
  { kind: 'openai-compatible', fake: 'openai', vendor: 'Provider "openai-compatible"', keyVar: 'providers.openai-compatible.apiKeyEnv' },
];

const TOOLS: ChatRequest['tools'] = [
  { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
];

function request(messages: ChatMessage[] = [{ role: 'user', content: 'Hi' }], model = 'm'): ChatRequest {
  return { model, system: 'Be brief.', messages, tools: TOOLS, maxOutputTokens: 256, trace: 'task/x#1' };
}

async function run(p: ChatProvider, req = request()): Promise<{ chunks: ChatChunk[]; error?: ProviderError }> {
  const chunks: ChatChunk[] = [];
  try {
    for await (const c of p.chat(req, new AbortController().signal)) chunks.push(c);
    return { chunks };
  } catch (e) {
    assert.ok(e instanceof ProviderError, `expected a ProviderError, got ${String(e)}`);
    return { chunks, error: e };
  }
}

const fakes = new Map<FakeKind, FakeServer>();
async function fakeFor(kind: FakeKind): Promise<FakeServer> {
  let f = fakes.get(kind);
  if (!f) fakes.set(kind, (f = await startFakeServer(kind, () => ({ kind: 'reply', text: 'unused' }))));
  return f;
}
after(async () => {
  for (const f of fakes.values()) await f.close();
});

/** One chat() against a scripted reply; asserts it cost exactly one HTTP request (nothing retried inside). */
async function once(kind: ProviderKind, fk: FakeKind, reply: FakeReply, req = request(), id: string = kind) {
  const fake = await fakeFor(fk);
  fake.setHandler(() => reply);
  const before = fake.requests.length;
  const out = await run(createProvider({ id, kind, apiKey: 'k', baseUrl: fake.baseUrl, timeoutMs: 5000 }), req);
  assert.equal(fake.requests.length - before, 1, 'exactly one HTTP request');
  return { ...out, fake };
}

const usageOf = (chunks: ChatChunk[]) => chunks.flatMap((c) => (c.type === 'usage' ? [c.usage] : []))[0];
const dataOf = (chunks: ChatChunk[]) => chunks.flatMap((c) => (c.type === 'provider_data' ? [c.data] : []))[0];

describe('real provider behaviour', () => {
  describe('refusals', () => {
    const words = "I can't help with that request, it asks for something I must not do.";
    for (const k of KINDS) {
      it(`${k.kind}: a refusal is a ProviderError 'refusal' (not retryable) with the model's words and the usage`, async () => {
        const { chunks, error } = await once(k.kind, k.fake, { kind: 'reply', refusal: words, chunkSize: 10, usage: { input: 40, output: 16 } });
        assert.ok(error, 'the turn fails instead of looking idle');
        assert.deepEqual([error.code, error.retryable], ['refusal', false]);
        assert.ok(error.message.includes(words), error.message);
        assert.ok(error.message.startsWith(`${k.vendor} refused the request`), error.message);
        assert.deepEqual([error.usage?.input, error.usage?.output], [40, 16], 'its cost counts');
        assert.equal(chunks.some((c) => c.type === 'end'), false);
      });
    }
  });

  describe('quota and billing', () => {
    for (const k of KINDS.filter((x) => x.kind !== 'openai-compatible')) {
      it(`${k.kind}: the out-of-money answer is 'quota', not retryable, and tells the user to check billing`, async () => {
        const { error } = await once(k.kind, k.fake, { kind: 'quota' });
        assert.deepEqual([error?.code, error?.retryable, error?.retryAfterMs], ['quota', false, undefined]);
        assert.match(error!.message, new RegExp(`^${k.vendor}: the account has no quota left \\(.+\\)\\. Check billing`));
        assert.ok(error!.message.includes(k.keyVar), error!.message);
      });
    }

    it("openai: the message names OpenAI's reason, insufficient_quota", async () => {
      const { error } = await once('openai', 'openai', { kind: 'quota' });
      assert.ok(error!.message.startsWith('OpenAI: the account has no quota left (insufficient_quota). Check billing'), error!.message);
    });

    for (const variant of ['spend_limit', 'credit_balance'] as const) {
      it(`anthropic: ${variant} is 'quota' too`, async () => {
        const { error } = await once('anthropic', 'anthropic', { kind: 'quota', variant });
        assert.deepEqual([error?.code, error?.retryable], ['quota', false]);
      });
    }

    it('gemini: a per-minute QuotaFailure with RetryInfo stays a retryable rate limit with the delay', async () => {
      const { error } = await once('gemini', 'gemini', { kind: 'error', status: 429, retryAfterMs: 1500 });
      assert.deepEqual([error?.code, error?.retryable, error?.retryAfterMs], ['rate_limit', true, 1500]);
    });

    it('gemini: the quota message names the exhausted daily quota', async () => {
      const { error } = await once('gemini', 'gemini', { kind: 'quota' });
      assert.ok(error!.message.includes('GenerateRequestsPerDayPerProjectPerModel-FreeTier'), error!.message);
    });

    it('openai-compatible: 402 Payment Required (OpenRouter: insufficient credits) is quota', async () => {
      const { error } = await once('openai-compatible', 'openai', { kind: 'error', status: 402, message: 'Insufficient credits' });
      assert.deepEqual([error?.code, error?.retryable, error?.status], ['quota', false, 402]);
    });
  });

  describe("a prompt over the model's context window", () => {
    for (const k of KINDS) {
      it(`${k.kind}: the provider's own 400 is 'context_overflow' (not retryable) with its count of the prompt and the window, before any model answers`, async () => {
        const fake = await fakeFor(k.fake);
        fake.setContextWindow(200);
        try {
          const big = request([{ role: 'user', content: 'Read this: ' + 'x'.repeat(2000) }]);
          // Had the handler been asked, this answer would have come back.
          const { error, chunks } = await once(k.kind, k.fake, { kind: 'reply', text: 'answered' }, big);
          const sent = fake.requests.at(-1)!;
          const tokens = Math.ceil(JSON.stringify(sent.body).length / 4);
          assert.deepEqual([error?.code, error?.retryable, error?.status, error?.overflow], ['context_overflow', false, 400, { promptTokens: tokens, window: 200 }]);
          assert.ok(error!.message.startsWith(`${k.vendor} refused the prompt as larger than the model's context window (400 Bad Request: `), error!.message);
          assert.deepEqual(chunks, []);
          // Under the window, the same fake answers.
          const small = await once(k.kind, k.fake, { kind: 'reply', text: 'fits' });
          assert.equal(small.error, undefined);
        } finally {
          fake.setContextWindow(undefined);
        }
      });
    }
  });

  describe('rate-limit reset headers', () => {
    it('openai: a 429 without retry-after waits for the used-up window (x-ratelimit-reset-requests)', async () => {
      const { error } = await once('openai', 'openai', { kind: 'error', status: 429, resetAfterMs: 6500 });
      assert.deepEqual([error?.code, error?.retryable, error?.retryAfterMs], ['rate_limit', true, 6500]);
    });

    it('anthropic: a 429 without retry-after waits until anthropic-ratelimit-requests-reset', async () => {
      const { error } = await once('anthropic', 'anthropic', { kind: 'error', status: 429, resetAfterMs: 3000 });
      assert.equal(error?.code, 'rate_limit');
      assert.ok(error!.retryAfterMs! > 2500 && error!.retryAfterMs! <= 3000, String(error!.retryAfterMs));
    });

    it('retry-after wins over the reset headers', async () => {
      const { error } = await once('openai', 'openai', { kind: 'error', status: 429, retryAfterS: 2, resetAfterMs: 6500 });
      assert.equal(error?.retryAfterMs, 2000);
    });

    it('reads Go durations and RFC 3339 times', () => {
      assert.deepEqual(['20ms', '1s', '6m0s', '1h2m3.5s', '0.5s'].map(parseGoDuration), [20, 1000, 360_000, 3_723_500, 500]);
      assert.deepEqual(['', '6m', 's', '1s2', 'soon'].map(parseGoDuration), [undefined, 360_000, undefined, undefined, undefined]);
      assert.deepEqual([20, 1000, 90_500, 3_723_500].map(goDuration), ['20ms', '1s', '1m30.5s', '1h2m3.5s']);
      const now = Date.parse('2026-01-01T00:00:00Z');
      const h = (o: Record<string, string>) => ({ get: (n: string) => o[n] ?? null });
      assert.equal(parseRateLimitReset(h({ 'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:04Z' }), now), 4000);
      // Neither window says it is used up: the longest wait.
      assert.equal(parseRateLimitReset(h({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '3s' }), now), 3000);
      // The used-up window decides, even when the other resets later.
      assert.equal(parseRateLimitReset(h({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-tokens': '3s', 'x-ratelimit-remaining-tokens': '10' }), now), 1000);
      assert.equal(parseRateLimitReset(h({}), now), undefined);
    });
  });

  describe('error frames mid-stream', () => {
    const numeric: [number, string, boolean][] = [[400, 'bad_request', false], [401, 'auth', false], [408, 'timeout', true], [409, 'server', true], [429, 'rate_limit', true], [502, 'server', true], [503, 'server', true]];
    for (const [status, code, retryable] of numeric) {
      it(`openai-compatible: {"error":{"code":${status}}} after some text → ${code}, ${retryable ? '' : 'not '}retryable`, async () => {
        const { chunks, error } = await once('openai-compatible', 'openai', { kind: 'stream_error', afterChunks: 2, status, numeric: true, text: 'partial answer', chunkSize: 7, message: 'upstream said no' });
        assert.deepEqual([error?.code, error?.retryable, error?.status], [code, retryable, status]);
        assert.ok(error!.message.includes('upstream said no'), error!.message);
        assert.deepEqual(chunks, [{ type: 'text', text: 'partial' }], 'what came before the frame was delivered');
      });
    }

    it('openai-compatible: {"error":{"code":402}} mid-stream is quota', async () => {
      const { error } = await once('openai-compatible', 'openai', { kind: 'stream_error', afterChunks: 1, status: 402, numeric: true });
      assert.deepEqual([error?.code, error?.retryable], ['quota', false]);
    });

    it("openai: OpenAI's own frame (type server_error, code null) stays a retryable server error", async () => {
      const { error } = await once('openai', 'openai', { kind: 'stream_error', afterChunks: 1, status: 500 });
      assert.deepEqual([error?.code, error?.retryable], ['server', true]);
    });

    it('gemini: a {"error":{"code":503}} chunk is a retryable server error, not a silent end', async () => {
      const { error } = await once('gemini', 'gemini', { kind: 'stream_error', afterChunks: 1, status: 503, text: 'abc' });
      assert.deepEqual([error?.code, error?.retryable, error?.status], ['server', true, 503]);
    });

    it('anthropic: event: error overloaded_error → overloaded, retryable', async () => {
      const { error } = await once('anthropic', 'anthropic', { kind: 'stream_error', afterChunks: 3, status: 529, text: 'abc' });
      assert.deepEqual([error?.code, error?.retryable], ['overloaded', true]);
    });
  });

  describe('reasoning tokens are billed as output', () => {
    const cases: [ProviderKind, FakeKind, boolean][] = [['openai', 'openai', false], ['openai-compatible', 'openai', true], ['openai-compatible', 'openai', false], ['anthropic', 'anthropic', false], ['gemini', 'gemini', false]];
    for (const [kind, fk, outside] of cases) {
      it(`${kind}${outside ? ' (completion_tokens without the reasoning)' : ''}: output = visible + reasoning`, async () => {
        const { chunks } = await once(kind, fk, { kind: 'reply', text: 'ok', usage: { input: 100, output: 20, reasoning: 300, reasoningOutsideCompletion: outside } });
        const u = usageOf(chunks);
        assert.deepEqual([u?.input, u?.output], [100, 320]);
      });
    }

    it('openai: no reasoning tokens → output is completion_tokens', async () => {
      const { chunks } = await once('openai-compatible', 'openai', { kind: 'reply', text: 'ok', usage: { input: 10, output: 7 } });
      assert.equal(usageOf(chunks)?.output, 7);
    });
  });

  describe('thinking blocks and thought signatures go back unchanged', () => {
    it('anthropic: thinking (with its signature_delta) and redacted_thinking come back in the next turn, in order', async () => {
      const first = await once('anthropic', 'anthropic', {
        kind: 'reply', text: 'Reading it.', chunkSize: 5,
        thinking: { text: 'The user wants a.ts; read it first.', signature: 'EqQBCkgIARABGAIiQL-sig', redacted: 'EmwKAhgBEgy-redacted' },
        toolCalls: [{ id: 'toolu_1', name: 'read_file', arguments: { path: 'a.ts' } }],
      });
      const data = dataOf(first.chunks);
      assert.ok(data, 'a provider_data chunk');
      assert.deepEqual(data, {
        provider: 'anthropic', model: 'm',
        parts: [
          { type: 'thinking', thinking: 'The user wants a.ts; read it first.', signature: 'EqQBCkgIARABGAIiQL-sig' },
          { type: 'redacted_thinking', data: 'EmwKAhgBEgy-redacted' },
          { type: 'text', text: 'Reading it.' },
          { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } },
        ],
      });
      const next = await once('anthropic', 'anthropic', { kind: 'reply', text: 'Done.' }, request(conversation(data)));
      const sent = (next.fake.requests.at(-1)?.body as { messages: { role: string; content: unknown }[] }).messages;
      assert.deepEqual(sent[1], { role: 'assistant', content: data.parts });
    });

    it('gemini: thoughtSignature on a text part and on a function call come back on the same parts', async () => {
      const first = await once('gemini', 'gemini', {
        kind: 'reply', text: 'Let me look.', chunkSize: 4, thinking: { signature: 'c2lnbmF0dXJl' },
        toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }, { name: 'read_file', arguments: { path: 'b.ts' } }],
      });
      const data = dataOf(first.chunks);
      // Each text piece is its own event: plain pieces are joined, the one with the signature stays apart.
      assert.deepEqual(data?.parts, [
        { text: 'Let me l' },
        { text: 'ook.', thoughtSignature: 'c2lnbmF0dXJl' },
        { functionCall: { name: 'read_file', args: { path: 'a.ts' } }, thoughtSignature: 'c2lnbmF0dXJl' },
        { functionCall: { name: 'read_file', args: { path: 'b.ts' } } },
      ]);
      // Both calls answered: Gemini wants as many function responses as the turn had function calls.
      const answered: ChatMessage[] = [...conversation(data!), { role: 'tool', toolCallId: 'call_2', name: 'read_file', content: 'export {}' }];
      const next = await once('gemini', 'gemini', { kind: 'reply', text: 'Done.' }, request(answered));
      const contents = (next.fake.requests.at(-1)?.body as { contents: { role: string; parts: unknown[] }[] }).contents;
      assert.deepEqual(contents[1], { role: 'model', parts: data!.parts });
      assert.equal(contents[2]?.role, 'user', 'function responses go back with role user');
    });

    it('gemini: a plain text answer with a signature on its text part keeps it', async () => {
      const { chunks } = await once('gemini', 'gemini', { kind: 'reply', text: 'Just text.', thinking: { signature: 'dGV4dC1zaWc=' } });
      assert.deepEqual(dataOf(chunks)?.parts, [{ text: 'Just text.', thoughtSignature: 'dGV4dC1zaWc=' }]);
    });

    for (const [kind, fk] of [['anthropic', 'anthropic'], ['gemini', 'gemini']] as const) {
      it(`${kind}: another provider's or model's data is ignored (the turn is rebuilt from text and tool calls)`, async () => {
        const foreign: ProviderData = { provider: 'someone-else', model: 'm', parts: [{ secret: true }] };
        const otherModel: ProviderData = { provider: kind, model: 'older-model', parts: [{ secret: true }] };
        for (const data of [foreign, otherModel]) {
          const { fake } = await once(kind, fk, { kind: 'reply', text: 'ok' }, request(conversation(data)));
          assert.ok(!JSON.stringify(fake.requests.at(-1)?.body).includes('secret'));
        }
      });
    }

    it('without thinking or signatures: no provider_data chunk at all', async () => {
      for (const [kind, fk] of [['openai', 'openai'], ['anthropic', 'anthropic'], ['gemini', 'gemini']] as const) {
        const { chunks } = await once(kind, fk, { kind: 'reply', text: 'plain', toolCalls: [{ name: 'read_file', arguments: { path: 'x' } }] });
        assert.equal(dataOf(chunks), undefined, kind);
      }
    });
  });
});

/** The conversation after a first turn whose assistant message carries `data`. */
function conversation(data: ProviderData): ChatMessage[] {
  return [
    { role: 'user', content: 'Look at a.ts' },
    { role: 'assistant', content: 'Reading it.', toolCalls: [{ id: 'toolu_1', name: 'read_file', arguments: { path: 'a.ts' } }], providerData: data },
    { role: 'tool', toolCallId: 'toolu_1', name: 'read_file', content: 'export {}' },
  ];
}

describe('real provider behaviour through the engine', () => {
  const orchestrator = (req: ChatRequest): Step => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { error: { code: 'bad_request', retryable: false } });
  /** The agent's two turns: write a file, then finish. */
  const agentTurns = (extra: (turnNo: number) => Partial<Extract<FakeReply, { kind: 'reply' }>>) => (req: { trace?: string }): FakeReply => {
    const n = Number((req.trace ?? '#0').split('#')[1]);
    return n === 1
      ? { kind: 'reply', toolCalls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'hi' } }], ...extra(n) }
      : { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }], ...extra(n) };
  };

  it('the budget (llm.response costs), the money fold and the report all count reasoning tokens as the provider bills them', async () => {
    const fake = await fakeFor('openai');
    // A compatible server that reports completion_tokens WITHOUT the 500 reasoning tokens, and bills them.
    fake.setHandler(agentTurns(() => ({ usage: { input: 1000, output: 200, reasoning: 500, reasoningOutsideCompletion: true } })));
    const r = runWithFakes('reasoning', { orch: orchestrator }, { p1: { kind: 'openai-compatible', fake } }, testConfig());
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const ev = r.events();
    const p1 = ofType(ev, 'llm.response').filter((e) => e.provider === 'p1');
    assert.equal(p1.length, 2);
    // testConfig prices p1/m-1 at $1 in / $2 out per million: the bill is (1000 × 1 + (200 + 500) × 2) / 1e6 per call.
    const bill = 2 * (1000 * 1 + 700 * 2) / 1e6;
    assert.ok(Math.abs(p1.reduce((a, e) => a + (e.costUsd ?? 0), 0) - bill) < 1e-12, 'what the budget settled');
    const report = reportFromEvents(ev);
    assert.equal(report.metrics.tokens.p1?.output, 1400);
    assert.ok(Math.abs((report.metrics.costUsd.p1 ?? 0) - bill) < 1e-9, `report: ${report.metrics.costUsd.p1}`);
    assert.ok(Math.abs(foldEvents(ev).money.spentUsd - (report.metrics.costUsd.total ?? -1)) < 1e-9, 'the money fold agrees with the report');
  });

  for (const [kind, fk] of [['anthropic', 'anthropic'], ['gemini', 'gemini']] as const) {
    it(`${kind}: the agent sends the first turn's thinking back unchanged in its second turn`, async () => {
      const fake = await fakeFor(fk);
      const before = fake.requests.length;
      fake.setHandler(agentTurns((n) => (n === 1 ? { text: 'Writing.', thinking: { text: 'Plan: write a.txt.', signature: `sig-${kind}-1` } } : {})));
      const r = runWithFakes('thinking', { orch: orchestrator }, { p1: { kind, fake } }, testConfig());
      const state = await r.handle.done;
      assert.equal(state.status, 'completed');
      const [, second] = fake.requests.slice(before);
      assert.equal(second?.trace, 'task/t1#2');
      const body = JSON.stringify(second?.body);
      assert.ok(body.includes(`sig-${kind}-1`), 'the signature went back');
      if (kind === 'anthropic') {
        const assistant = (second?.body as { messages: { role: string; content: { type: string }[] }[] }).messages.find((m) => m.role === 'assistant');
        assert.deepEqual(assistant?.content.map((b) => b.type), ['thinking', 'text', 'tool_use']);
      }
    });
  }
});
