// One conformance suite for every ChatProvider kind: each runs through its REAL SDK against the local
// fake of its wire format (no SDK is mocked). Adding a provider = adding one entry to CASES.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError, type ChatChunk, type ChatProvider, type ChatRequest, type ToolSpec } from '../../../src/core/ports';
import { anthropicWire } from '../../../src/fakes/anthropic';
import { geminiWire } from '../../../src/fakes/gemini';
import { prepare, type WireFormat } from '../../../src/fakes/http';
import { startFakeServer, type FakeKind } from '../../../src/fakes/index';
import { openaiWire } from '../../../src/fakes/openai';
import type { FakeAnswer, FakeReply, FakeServer } from '../../../src/fakes/script';
import { createProvider, type ProviderConfig, type ProviderKind } from '../../../src/providers/index';

interface Case {
  kind: ProviderKind;
  fake: FakeKind;
  wire: WireFormat;
  /** The setting a 401/403 message must name. */
  keyVar: string;
  /** Frames to send so that exactly two text pieces ('abcd', 'efgh') arrive before a cut. */
  cutAfter: number;
  /** Whether the wire has sent usage by then (OpenAI only sends it at the very end). */
  usageBeforeEnd: boolean;
  extra?: Partial<ProviderConfig>;
}

const CASES: Case[] = [
  { kind: 'openai', fake: 'openai', wire: openaiWire, keyVar: 'OPENAI_API_KEY', cutAfter: 3, usageBeforeEnd: false },
  { kind: 'anthropic', fake: 'anthropic', wire: anthropicWire, keyVar: 'ANTHROPIC_API_KEY', cutAfter: 5, usageBeforeEnd: true },
  { kind: 'gemini', fake: 'gemini', wire: geminiWire, keyVar: 'GEMINI_API_KEY', cutAfter: 2, usageBeforeEnd: true },
  {
    kind: 'openai-compatible', fake: 'openai', wire: openaiWire, keyVar: 'LOCAL_LLM_KEY', cutAfter: 3, usageBeforeEnd: false,
    extra: { id: 'local-llm', keyHint: 'LOCAL_LLM_KEY', headers: { 'x-compat-header': 'compat-42' } },
  },
];

const TOOLS: ToolSpec[] = [
  { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } },
  {
    name: 'write_file', description: 'Write a file',
    parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'], additionalProperties: false },
  },
];

function request(over: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'test-model', system: 'You are terse.', messages: [{ role: 'user', content: 'Hi' }], tools: TOOLS, maxOutputTokens: 256, trace: 'task/backend#1', ...over };
}

async function run(p: ChatProvider, req = request(), signal = new AbortController().signal) {
  const chunks: ChatChunk[] = [];
  try {
    for await (const c of p.chat(req, signal)) chunks.push(c);
    return { chunks, error: undefined };
  } catch (e) {
    return { chunks, error: e };
  }
}

function providerError(e: unknown): ProviderError {
  assert.ok(e instanceof ProviderError, `expected a ProviderError, got ${String(e)}`);
  return e;
}

const textOf = (chunks: ChatChunk[]) => chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');
const callsOf = (chunks: ChatChunk[]) => chunks.flatMap((c) => (c.type === 'tool_call' ? [c.call] : []));

/** A server that sends the first `n` frames of an answer then ends the response cleanly (no terminal event). */
async function cleanEofServer(wire: WireFormat, answer: FakeAnswer, n: number): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString());
      const route = wire.route('POST', new URL(req.url ?? '/', 'http://x'), body);
      assert.ok('model' in route);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(wire.frames(prepare(answer, 'call_', 10), route, body).slice(0, n).join(''));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}${wire.basePath}` };
}

for (const c of CASES) {
  describe(`ChatProvider conformance: ${c.kind}`, () => {
    let fake: FakeServer;
    let provider: ChatProvider;
    const config = (over: Partial<ProviderConfig> = {}): ProviderConfig => ({
      id: c.kind, kind: c.kind, apiKey: 'test-key', baseUrl: fake.baseUrl, timeoutMs: 5000, ...c.extra, ...over,
    });
    /** Runs one chat() against a scripted reply and checks it cost exactly one HTTP request. */
    const once = async (reply: FakeReply, p = provider) => {
      fake.setHandler(() => reply);
      const before = fake.requests.length;
      const result = await run(p);
      assert.equal(fake.requests.length - before, 1, 'exactly one HTTP request per chat() call');
      return result;
    };

    before(async () => {
      fake = await startFakeServer(c.fake, () => ({ kind: 'reply', text: 'unused' }));
      provider = createProvider(config());
    });
    after(() => fake.close());

    it('streams a text answer with usage, latency, trace header and provider id', async () => {
      const text = 'The quick brown fox jumps over the lazy dog.';
      const { chunks, error } = await once({ kind: 'reply', text, chunkSize: 8, delayMs: 60, usage: { input: 120, output: 15, cachedInput: 30 } });
      assert.equal(error, undefined);
      assert.equal(textOf(chunks), text);
      assert.ok(chunks.filter((x) => x.type === 'text').length >= 5, 'text arrives in pieces');
      const usage = chunks.find((x) => x.type === 'usage');
      assert.deepEqual(usage?.type === 'usage' && { input: usage.usage.input, output: usage.usage.output, cached: usage.usage.cachedInput }, { input: 120, output: 15, cached: 30 });
      const end = chunks.at(-1);
      assert.equal(end?.type, 'end');
      assert.equal(chunks.filter((x) => x.type === 'end').length, 1);
      assert.ok(end?.type === 'end' && end.stopReason === 'end' && end.latencyMs >= 55, `latency measured: ${JSON.stringify(end)}`);
      const sent = fake.requests.at(-1);
      assert.equal(sent?.trace, 'task/backend#1');
      assert.equal(sent?.stream, true);
      assert.equal(sent?.model, 'test-model');
      assert.deepEqual(sent?.toolNames, ['read_file', 'write_file']);
      assert.equal(provider.id, c.extra?.id ?? c.kind);
      if (c.extra?.headers) assert.equal(sent?.headers['x-compat-header'], 'compat-42');
    });

    it('assembles a tool call whose arguments arrive split across chunks', async () => {
      const args = { path: 'src/deeply/nested/folder/module.ts', content: 'export const answer = 42;\n'.repeat(3) };
      const { chunks, error } = await once({ kind: 'reply', toolCalls: [{ name: 'write_file', arguments: args }], chunkSize: 5 });
      assert.equal(error, undefined);
      const calls = callsOf(chunks);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]?.name, 'write_file');
      assert.deepEqual(calls[0]?.arguments, args);
      assert.ok(calls[0]?.id, 'the call has an id');
      const end = chunks.at(-1);
      assert.equal(end?.type === 'end' && end.stopReason, 'tool_calls');
    });

    it('returns two tool calls made in one turn, in order, with distinct ids', async () => {
      const { chunks, error } = await once({
        kind: 'reply', text: 'Reading both.', chunkSize: 6,
        toolCalls: [{ name: 'read_file', arguments: { path: 'a.ts' } }, { name: 'write_file', arguments: { path: 'b.ts', content: 'x' } }],
      });
      assert.equal(error, undefined);
      assert.equal(textOf(chunks), 'Reading both.');
      const calls = callsOf(chunks);
      assert.deepEqual(calls.map((x) => [x.name, x.arguments]), [['read_file', { path: 'a.ts' }], ['write_file', { path: 'b.ts', content: 'x' }]]);
      assert.notEqual(calls[0]?.id, calls[1]?.id);
    });

    it('reports 429 with retry-after (seconds) as retryable with the delay', async () => {
      const e = providerError((await once({ kind: 'error', status: 429, retryAfterS: 2, message: 'Slow down' })).error);
      assert.deepEqual([e.code, e.retryable, e.status, e.retryAfterMs], ['rate_limit', true, 429, 2000]);
    });

    it('reports 429 with retry-after-ms as retryable with the delay', async () => {
      const e = providerError((await once({ kind: 'error', status: 429, retryAfterMs: 1500 })).error);
      assert.deepEqual([e.code, e.retryable, e.retryAfterMs], ['rate_limit', true, 1500]);
    });

    for (const [status, code] of [[500, 'server'], [503, 'server'], [529, 'overloaded']] as const) {
      it(`reports ${status} as retryable (${code})`, async () => {
        const e = providerError((await once({ kind: 'error', status, message: 'Boom' })).error);
        assert.deepEqual([e.code, e.retryable, e.status, e.provider], [code, true, status, provider.id]);
      });
    }

    it('reports an unreachable server as a retryable network error', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const { error } = await run(createProvider(config({ baseUrl: `http://127.0.0.1:${port}${c.wire.basePath}` })));
      assert.deepEqual([providerError(error).code, providerError(error).retryable], ['network', true]);
    });

    for (const [status, code] of [[400, 'bad_request'], [401, 'auth'], [403, 'permission']] as const) {
      it(`reports ${status} as ${code}, not retryable${status === 400 ? '' : ', naming the key to fix'}`, async () => {
        const e = providerError((await once({ kind: 'error', status, message: 'Nope' })).error);
        assert.deepEqual([e.code, e.retryable, e.status], [code, false, status]);
        if (status !== 400) assert.ok(e.message.includes(c.keyVar) && e.message.includes('Ensemble: Set API Key'), e.message);
      });
    }

    it('times out a request that never answers (code timeout, retryable)', async () => {
      const p = createProvider(config({ timeoutMs: 300 }));
      const t0 = performance.now();
      const e = providerError((await once({ kind: 'hang' }, p)).error);
      const elapsed = performance.now() - t0;
      assert.deepEqual([e.code, e.retryable], ['timeout', true]);
      assert.ok(elapsed >= 250 && elapsed < 2000, `timed out after ${elapsed} ms`);
    });

    it('reports a stream cut mid-way as stream_cut, keeping the text and the usage seen', async () => {
      const { chunks, error } = await once({ kind: 'cut', afterChunks: c.cutAfter, text: 'abcdefghijklmnop', chunkSize: 4, usage: { input: 100, output: 9 } });
      const e = providerError(error);
      assert.deepEqual([e.code, e.retryable], ['stream_cut', true]);
      assert.equal(textOf(chunks), 'abcdefgh');
      assert.equal(chunks.some((x) => x.type === 'end'), false);
      if (c.usageBeforeEnd) assert.equal(e.usage?.input, 100);
      else assert.equal(e.usage, undefined);
    });

    it('reports a clean end of stream without the terminal event as stream_cut', async () => {
      const { server, base } = await cleanEofServer(c.wire, { text: 'abcdefghijklmnop', chunkSize: 4, usage: { input: 100, output: 9 } }, c.cutAfter);
      try {
        const { chunks, error } = await run(createProvider(config({ baseUrl: base })));
        assert.deepEqual([providerError(error).code, providerError(error).retryable], ['stream_cut', true]);
        assert.equal(textOf(chunks), 'abcdefgh');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('turns malformed tool-argument JSON into bad_response (no crash)', async () => {
      const e = providerError((await once({ kind: 'malformed_args', name: 'write_file' })).error);
      assert.deepEqual([e.code, e.retryable], ['bad_response', true]);
    });

    it('stops within 100 ms of abort mid-stream, throws aborted and yields nothing more', async () => {
      fake.setHandler(() => ({ kind: 'reply', text: 'one two three four five six', chunkSize: 4, chunkDelayMs: 300 }));
      const controller = new AbortController();
      const chunks: ChatChunk[] = [];
      let abortedAt = 0;
      let error: unknown;
      try {
        for await (const chunk of provider.chat(request(), controller.signal)) {
          chunks.push(chunk);
          if (chunks.length === 1) setTimeout(() => { abortedAt = performance.now(); controller.abort(); }, 30);
        }
      } catch (e) {
        error = e;
      }
      const elapsed = performance.now() - abortedAt;
      assert.equal(providerError(error).code, 'aborted');
      assert.equal(providerError(error).retryable, false);
      assert.ok(abortedAt > 0 && elapsed < 100, `stopped ${elapsed} ms after abort`);
      assert.deepEqual(chunks, [{ type: 'text', text: 'one ' }]);
    });

    it('stops within 100 ms of abort before the response starts', async () => {
      fake.setHandler(() => ({ kind: 'hang' }));
      const controller = new AbortController();
      const it = provider.chat(request(), controller.signal)[Symbol.asyncIterator]();
      const pending = it.next();
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      controller.abort();
      await assert.rejects(pending, (e: unknown) => providerError(e).code === 'aborted');
      assert.ok(performance.now() - t0 < 100);
      assert.deepEqual(await it.next(), { done: true, value: undefined });
    });

    it('sends prior tool calls and tool results in the provider wire shape', async () => {
      fake.setHandler(() => ({ kind: 'reply', text: 'Done.' }));
      const { error } = await run(provider, request({
        messages: [
          { role: 'user', content: 'Look at a.ts and b.ts' },
          { role: 'assistant', content: 'Reading.', toolCalls: [{ id: 'c1', name: 'read_file', arguments: { path: 'a.ts' } }, { id: 'c2', name: 'read_file', arguments: { path: 'b.ts' } }] },
          { role: 'tool', toolCallId: 'c1', name: 'read_file', content: 'A' },
          { role: 'tool', toolCallId: 'c2', name: 'read_file', content: 'no such file', isError: true },
        ],
      }));
      assert.equal(error, undefined);
      WIRE_SHAPES[c.fake](fake.requests.at(-1)?.body);
    });
  });
}

/** What each provider's body must look like for the conversation in the round-trip test. */
const WIRE_SHAPES: Record<FakeKind, (body: unknown) => void> = {
  openai(body) {
    const b = body as { messages: unknown[]; stream_options?: unknown };
    assert.deepEqual(b.messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Look at a.ts and b.ts' },
      {
        role: 'assistant', content: 'Reading.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.ts"}' } },
          { id: 'c2', type: 'function', function: { name: 'read_file', arguments: '{"path":"b.ts"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'A' },
      { role: 'tool', tool_call_id: 'c2', content: 'Error: no such file' },
    ]);
    assert.deepEqual(b.stream_options, { include_usage: true });
  },
  anthropic(body) {
    const b = body as { messages: unknown; system: unknown; tools: { cache_control?: unknown }[] };
    assert.deepEqual(b.messages, [
      { role: 'user', content: 'Look at a.ts and b.ts' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Reading.' },
          { type: 'tool_use', id: 'c1', name: 'read_file', input: { path: 'a.ts' } },
          { type: 'tool_use', id: 'c2', name: 'read_file', input: { path: 'b.ts' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: 'A' },
          { type: 'tool_result', tool_use_id: 'c2', content: 'no such file', is_error: true },
        ],
      },
    ]);
    assert.deepEqual(b.system, [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }]);
    assert.deepEqual(b.tools.map((t) => t.cache_control), [undefined, { type: 'ephemeral' }]);
  },
  gemini(body) {
    const b = body as { contents: unknown; systemInstruction: unknown; tools: { functionDeclarations: { parameters: object }[] }[] };
    assert.deepEqual(b.contents, [
      { role: 'user', parts: [{ text: 'Look at a.ts and b.ts' }] },
      { role: 'model', parts: [{ text: 'Reading.' }, { functionCall: { name: 'read_file', args: { path: 'a.ts' } } }, { functionCall: { name: 'read_file', args: { path: 'b.ts' } } }] },
      {
        role: 'user', // the current API knows only 'user' and 'model' (see toGeminiContents)
        parts: [
          { functionResponse: { name: 'read_file', response: { content: 'A' } } },
          { functionResponse: { name: 'read_file', response: { error: 'no such file' } } },
        ],
      },
    ]);
    assert.deepEqual(b.systemInstruction, { role: 'system', parts: [{ text: 'You are terse.' }] });
    const params = b.tools[0]?.functionDeclarations[0]?.parameters;
    assert.deepEqual(params, { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] }, 'additionalProperties stripped');
  },
};
