// The pure helpers behind every adapter: status classification, retry-after parsing, key messages,
// and the Gemini schema conversion.

import assert from 'node:assert/strict';
import { classifyStatus, contextOverflow, httpError, parseDuration, parseRetryAfter } from '../../../src/providers/errors';
import { toGeminiSchema } from '../../../src/providers/gemini-schema';

const headers = (h: Record<string, string>) => new Headers(h);

describe('provider error helpers', () => {
  it('classifies statuses into codes and retryability', () => {
    const table = [408, 409, 429, 500, 502, 503, 529, 400, 401, 403, 404, 422].map((s) => [s, classifyStatus(s).code, classifyStatus(s).retryable]);
    assert.deepEqual(table, [
      [408, 'timeout', true], [409, 'server', true], [429, 'rate_limit', true], [500, 'server', true], [502, 'server', true],
      [503, 'server', true], [529, 'overloaded', true], [400, 'bad_request', false], [401, 'auth', false],
      [403, 'permission', false], [404, 'not_found', false], [422, 'bad_request', false],
    ]);
  });

  it('parses retry-after-ms first, then retry-after as seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
    assert.equal(parseRetryAfter(headers({ 'retry-after': '1.5' })), 1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now), 7000);
    assert.equal(parseRetryAfter(headers({ 'retry-after': 'soon' })), undefined);
    assert.equal(parseRetryAfter(headers({})), undefined);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('abc'), undefined);
  });

  it('names the key setting on 401/403: keyHint, else the kind’s variable', () => {
    assert.equal(
      httpError({ id: 'openai', kind: 'openai' }, 401).message,
      'OpenAI rejected the API key (401 Unauthorized). Set OPENAI_API_KEY or run "Ensemble: Set API Key".',
    );
    assert.match(httpError({ id: 'router', kind: 'openai-compatible', keyHint: 'OPENROUTER_API_KEY' }, 403).message, /OPENROUTER_API_KEY/);
    assert.match(httpError({ id: 'gemini', kind: 'gemini' }, 400, { code: 'auth' }).message, /GEMINI_API_KEY/);
    assert.equal(httpError({ id: 'gemini', kind: 'gemini' }, 400, { code: 'auth' }).retryable, false);
  });
});

describe('context window overflow answers', () => {
  it("reads the prompt's tokens and the window from each provider's words", () => {
    assert.deepEqual(contextOverflow("This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens. Please reduce the length of the messages."), { promptTokens: 130512, window: 128000 });
    assert.deepEqual(contextOverflow('prompt is too long: 208331 tokens > 200000 maximum'), { promptTokens: 208331, window: 200000 });
    assert.deepEqual(contextOverflow('The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).'), { promptTokens: 1200293, window: 1048576 });
    // vLLM and older OpenAI models: the request's total, of which the messages are the prompt.
    assert.deepEqual(contextOverflow("This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion)."), { promptTokens: 4000, window: 4096 });
  });

  it('knows an overflow without numbers by its code or words, and nothing else as one', () => {
    assert.deepEqual(contextOverflow('Too long.', 'context_length_exceeded'), {});
    assert.deepEqual(contextOverflow('Input exceeds the context window of this model'), {});
    for (const other of ['Invalid value for temperature', 'prompt must be a string', 'maximum of 128 tools', undefined]) assert.equal(contextOverflow(other), undefined, other);
  });
});

describe('Gemini schema conversion', () => {
  it('strips keys Gemini rejects, recursively, and keeps the rest', () => {
    const converted = toGeminiSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false, required: ['tasks', 'ghost'],
      properties: {
        tasks: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { id: { type: 'string', minLength: 1, format: 'uri' } } } },
        note: { type: ['string', 'null'], default: 'x' },
        mode: { const: 'fast' },
      },
    });
    assert.deepEqual(converted, {
      type: 'object', required: ['tasks'],
      properties: {
        tasks: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
        note: { type: 'string', nullable: true },
        mode: { type: 'string', enum: ['fast'] }, // an enum is of strings to Gemini: its type is said
      },
    });
  });
});
