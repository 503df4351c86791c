// The fakes ship in the product (offline demo): they must answer bad requests with the provider's own
// error body, never crash, serve non-streamed calls, and close promptly even with a hung request.

import assert from 'node:assert/strict';
import { startFakeServer, type FakeKind } from '../../../src/fakes/index';
import type { FakeServer } from '../../../src/fakes/script';

const PATHS: Record<FakeKind, { path: string; key: Record<string, string>; body: object }> = {
  openai: { path: '/chat/completions', key: { authorization: 'Bearer k' }, body: { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] } },
  anthropic: { path: '/v1/messages', key: { 'x-api-key': 'k' }, body: { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } },
  gemini: { path: '/v1beta/models/gemini-2.5-flash:generateContent', key: { 'x-goog-api-key': 'k' }, body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } },
};

/** Where each provider's error message sits in its error body. */
const errorMessage = (kind: FakeKind, body: unknown): unknown =>
  kind === 'anthropic' ? (body as { type: string; error: { message: string } }).error.message : (body as { error: { message: string } }).error.message;

/** Each provider's body for a prompt over the window, as /work/shared/reference/provider-wire.md §6 quotes it. */
const OVERFLOW: Record<FakeKind, (n: number, m: number) => unknown> = {
  openai: (n, m) => ({ error: { message: `This model's maximum context length is ${m} tokens. However, your messages resulted in ${n} tokens. Please reduce the length of the messages.`, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }),
  anthropic: (n, m) => ({ type: 'error', error: { type: 'invalid_request_error', message: `prompt is too long: ${n} tokens > ${m} maximum` } }),
  gemini: (n, m) => {
    const message = `The input token count (${n}) exceeds the maximum number of tokens allowed (${m}).`;
    return { error: { code: 400, message, errors: [{ message, domain: 'global', reason: 'badRequest' }], status: 'INVALID_ARGUMENT' } };
  },
};

for (const kind of ['openai', 'anthropic', 'gemini'] as const) {
  describe(`fake ${kind} server`, () => {
    let fake: FakeServer;
    const spec = PATHS[kind];
    const post = (body: string, headers: Record<string, string> = spec.key, path = spec.path) =>
      fetch(fake.baseUrl + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    before(async () => {
      fake = await startFakeServer(kind, () => ({ kind: 'reply', text: 'Hello', toolCalls: [{ name: 'read_file', arguments: { path: 'a' } }] }));
    });
    after(() => fake.close());

    it('answers a non-streamed request with a JSON body', async () => {
      const res = await post(JSON.stringify(spec.body));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.match(await res.text(), /Hello/);
      assert.equal(fake.requests.at(-1)?.stream, false);
    });

    it('answers 400 with the provider error body on invalid JSON', async () => {
      const res = await post('{not json');
      assert.equal(res.status, 400);
      assert.equal(typeof errorMessage(kind, await res.json()), 'string');
    });

    it('answers 400 on a body missing required fields, 404 on an unknown route', async () => {
      assert.equal((await post('{}')).status, 400);
      const res = await post(JSON.stringify(spec.body), spec.key, '/nope');
      assert.equal(res.status, 404);
      assert.equal(typeof errorMessage(kind, await res.json()), 'string');
    });

    it('answers 401 when no key was sent', async () => {
      const res = await post(JSON.stringify(spec.body), {});
      assert.equal(res.status, 401);
      assert.equal(typeof errorMessage(kind, await res.json()), 'string');
    });

    it('answers 500 when the handler throws', async () => {
      fake.setHandler(() => {
        throw new Error('script bug');
      });
      const res = await post(JSON.stringify(spec.body));
      assert.equal(res.status, 500);
      assert.match(String(errorMessage(kind, await res.json())), /script bug/);
    });

    it("answers a prompt over the model's window with the provider's own 400, before the handler is asked", async () => {
      let asked = 0;
      fake.setHandler(() => (asked++, { kind: 'reply', text: 'Hello' }));
      const body = JSON.stringify(spec.body);
      const tokens = Math.ceil(body.length / 4); // the fake's count: its body's characters ÷ 4
      fake.setContextWindow(tokens - 1);
      try {
        const res = await post(body);
        assert.equal(res.status, 400);
        const got = (await res.json()) as Record<string, unknown>;
        if (kind === 'anthropic') {
          assert.match(String(got.request_id), /^req_/);
          delete got.request_id;
        }
        assert.deepEqual(got, OVERFLOW[kind](tokens, tokens - 1));
        assert.equal(asked, 0, 'no model saw it');
        fake.setContextWindow(tokens);
        assert.equal((await post(body)).status, 200, 'a prompt that fits is answered');
      } finally {
        fake.setContextWindow(undefined);
      }
    });

    it('closes promptly while a request hangs', async () => {
      const hung = await startFakeServer(kind, () => ({ kind: 'hang' }));
      const pending = fetch(hung.baseUrl + spec.path, { method: 'POST', headers: spec.key, body: JSON.stringify(spec.body) }).catch((e: unknown) => e);
      while (hung.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
      const t0 = performance.now();
      await hung.close();
      assert.ok(performance.now() - t0 < 200);
      assert.ok((await pending) instanceof Error, 'the hung client sees its connection closed');
    });
  });
}
