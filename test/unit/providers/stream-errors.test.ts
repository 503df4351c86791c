// Error frames inside a 200 stream, which no FakeReply produces: OpenAI's `data: {"error":…}` and
// Anthropic's `event: error`. Also: a signal aborted before chat() starts sends nothing.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError, type ChatRequest } from '../../../src/core/ports';
import { createProvider, type ProviderKind } from '../../../src/providers/index';

const request: ChatRequest = { model: 'm', system: '', messages: [{ role: 'user', content: 'Hi' }], tools: [], maxOutputTokens: 64 };

async function serve(payload: string): Promise<{ server: Server; port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits: () => hits };
}

async function failure(kind: ProviderKind, baseUrl: string, signal = new AbortController().signal): Promise<ProviderError> {
  try {
    for await (const _ of createProvider({ id: kind, kind, apiKey: 'k', baseUrl }).chat(request, signal)) {
      // drain
    }
  } catch (e) {
    assert.ok(e instanceof ProviderError, String(e));
    return e;
  }
  assert.fail('expected a ProviderError');
}

describe('error frames inside a stream', () => {
  it('OpenAI data: {"error":…} → a retryable server ProviderError', async () => {
    const { server, port } = await serve('data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n');
    try {
      const e = await failure('openai', `http://127.0.0.1:${port}/v1`);
      assert.deepEqual([e.code, e.retryable], ['server', true]);
      assert.match(e.message, /server had an error/);
    } finally {
      server.close();
    }
  });

  it('Anthropic event: error (overloaded_error) → overloaded, retryable', async () => {
    const { server, port } = await serve('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
    try {
      const e = await failure('anthropic', `http://127.0.0.1:${port}`);
      assert.deepEqual([e.code, e.retryable], ['overloaded', true]);
    } finally {
      server.close();
    }
  });

  for (const kind of ['openai', 'anthropic', 'gemini'] as const) {
    it(`${kind}: a signal aborted before chat() throws aborted without any request`, async () => {
      const { server, port, hits } = await serve('');
      try {
        const e = await failure(kind, `http://127.0.0.1:${port}${kind === 'openai' ? '/v1' : ''}`, AbortSignal.abort());
        assert.equal(e.code, 'aborted');
        assert.equal(hits(), 0);
      } finally {
        server.close();
      }
    });
  }
});
