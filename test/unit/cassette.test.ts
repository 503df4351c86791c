// How a cassette answers: per provider and key, faults first, then the answer; an outage lasts.

import * as assert from 'node:assert/strict';
import { cassetteHandler } from '../../src/cassette/handler';
import { parseCassette } from '../../src/cassette/format';
import type { FakeReply, FakeRequest } from '../../src/fakes/script';

const req = (trace: string): FakeRequest => ({ provider: 'openai', model: 'm', trace, stream: true, headers: {}, body: {}, toolNames: [] });

describe('cassette handler', () => {
  const cassette = parseCassette({
    version: 1,
    goal: 'g',
    entries: [
      { key: 'task/a#1', provider: 'openai', fault: { status: 429, retryAfterS: 1 }, times: 2 },
      { key: 'task/a#1', provider: 'openai', reply: { text: 'hello' } },
      { key: 'task/a#1', provider: 'gemini', reply: { text: 'not for openai' } },
      { key: 'task/down#1', provider: 'openai', fault: { status: 503 }, times: 1 },
    ],
  });

  it('serves the recorded faults first, then the answer, as often as asked', () => {
    const h = cassetteHandler(cassette, 'openai') as (r: FakeRequest) => FakeReply;
    const kinds = [1, 2, 3, 4].map(() => h(req('task/a#1')));
    assert.deepEqual(kinds.map((r) => ('status' in r ? r.status : r.kind)), [429, 429, 'reply', 'reply']);
    assert.equal((kinds[2] as { text?: string }).text, 'hello');
  });

  it('keeps failing a key that only has faults, and names a key it does not know', () => {
    const h = cassetteHandler(cassette, 'openai') as (r: FakeRequest) => FakeReply;
    assert.deepEqual([1, 2, 3].map(() => (h(req('task/down#1')) as { status: number }).status), [503, 503, 503]);
    const missing = h(req('task/zzz#1'));
    assert.equal(missing.kind, 'error');
    assert.match((missing as { message: string }).message, /no answer for "task\/zzz#1" on openai/);
  });

  it('rejects a malformed cassette with the problem named', () => {
    assert.throws(() => parseCassette({ version: 2, goal: 'g', entries: [] }, 'x.json'), /x\.json is not a valid cassette: version/);
  });
});
