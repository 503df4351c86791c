// What only the OpenAI-compatible kind does, through the real `openai` SDK against the OpenAI fake:
// servers without usage or without `stream_options`, Azure's `api-key` header and `api-version` query.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatChunk } from '../../../src/core/ports';
import { startFakeServer } from '../../../src/fakes/index';
import type { FakeServer } from '../../../src/fakes/script';
import { createProvider } from '../../../src/providers/index';

const request = { model: 'llama3.1', system: '', messages: [{ role: 'user' as const, content: 'Hi' }], tools: [], maxOutputTokens: 64 };

async function collect(iterable: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of iterable) out.push(c);
  return out;
}

describe('openai-compatible provider', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeServer('openai', () => ({ kind: 'reply', text: 'ok' }));
  });
  after(() => fake.close());

  it('drops stream_options for good when the server rejects it, and then simply reports no usage', async () => {
    fake.setHandler((req) =>
      (req.body as { stream_options?: unknown }).stream_options
        ? { kind: 'error', status: 400, message: 'Unrecognized request argument supplied: stream_options' }
        : { kind: 'reply', text: 'Hello', usage: { input: 5, output: 1 } },
    );
    const p = createProvider({ id: 'old-azure', kind: 'openai-compatible', apiKey: 'k', baseUrl: fake.baseUrl });
    const before = fake.requests.length;
    const chunks = await collect(p.chat(request, new AbortController().signal));
    assert.deepEqual(chunks.filter((c) => c.type !== 'end'), [{ type: 'text', text: 'Hello' }]);
    assert.equal(chunks.at(-1)?.type, 'end');
    assert.equal(fake.requests.length - before, 2);
    await collect(p.chat(request, new AbortController().signal));
    assert.equal(fake.requests.length - before, 3, 'the second call goes straight without stream_options');
  });

  it('sends max_tokens (not max_completion_tokens) and no tools key when there are none', async () => {
    fake.setHandler(() => ({ kind: 'reply', text: 'x' }));
    const p = createProvider({ id: 'ollama', kind: 'openai-compatible', apiKey: '', baseUrl: fake.baseUrl });
    await collect(p.chat(request, new AbortController().signal));
    const body = fake.requests.at(-1)?.body as Record<string, unknown>;
    assert.equal(body.max_tokens, 64);
    assert.equal('max_completion_tokens' in body, false);
    assert.equal('tools' in body, false);
  });

  it('fills an empty api-key header with the key, omits Authorization and keeps the baseUrl query (Azure)', async () => {
    const seen: { url?: string; headers?: Record<string, unknown> } = {};
    const server = createServer((req, res) => {
      seen.url = req.url;
      seen.headers = req.headers;
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openai/deployments/gpt4o?api-version=2024-10-21`;
      const p = createProvider({ id: 'azure', kind: 'openai-compatible', apiKey: 'azure-key', baseUrl: base, headers: { 'api-key': '' } });
      const chunks = await collect(p.chat(request, new AbortController().signal));
      assert.deepEqual(chunks[0], { type: 'text', text: 'hi' });
      assert.equal(seen.url, '/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21');
      assert.equal(seen.headers?.['api-key'], 'azure-key');
      assert.equal(seen.headers?.authorization, undefined);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
