// Lifetimes: a listener that throws never breaks the engine, and a session's `done` always settles.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Emitter, setUnexpectedErrorHandler } from '../../src/core/emitter';
import { conv, planStep, writesThenFinishes } from '../helpers/scripted';
import { ofType, run } from '../helpers/session';

describe('lifecycles', () => {
  const reported: unknown[] = [];
  beforeEach(() => {
    reported.length = 0;
    setUnexpectedErrorHandler((e) => reported.push(e));
  });
  afterEach(() => setUnexpectedErrorHandler((e) => console.error(e)));

  it('an emitter reports a throwing listener and still calls the others', () => {
    const em = new Emitter<number>();
    const seen: number[] = [];
    em.event(() => {
      throw new Error('boom');
    });
    em.event((n) => seen.push(n));
    em.fire(1);
    em.fire(2);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(reported.length, 2);
    assert.match(String(reported[0]), /boom/);
  });

  it('a session completes, with its whole log and report, when a listener throws on every event', async () => {
    const r = run('listener', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't', role: 'a' }]) : { text: '' }),
      p1: writesThenFinishes({ 'a.txt': 'A' }),
      p2: () => ({ text: '' }),
    });
    r.handle.log.onDidAppend(() => {
      throw new Error('listener bug');
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    assert.ok(reported.length > 5, 'every throw was reported');
    assert.equal(ofType(r.events(), 'session.ended').length, 1);
    assert.ok(fs.existsSync(`${r.handle.dir}/report.json`));
  });

  it('`done` settles (never rejects) when closing the log throws, and the failure is reported', async () => {
    const r = run('close fails', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't', role: 'a' }]) : { text: '' }),
      p1: writesThenFinishes({ 'a.txt': 'A' }),
      p2: () => ({ text: '' }),
    });
    const close = r.handle.log.close.bind(r.handle.log);
    r.handle.log.close = () => {
      close();
      throw new Error('EIO: the log could not be closed');
    };
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    assert.match(String(reported.at(-1)), /EIO: the log could not be closed/);
  });

  it('`done` settles (never rejects) when the session folder is deleted before the report, and says the report failed', async () => {
    const r = run('vanishing', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't', role: 'a' }]) : { text: '' }),
      p1: writesThenFinishes({ 'a.txt': 'A' }),
      p2: () => ({ text: '' }),
    });
    r.handle.log.onDidAppend((e) => {
      if (e.type === 'phase.started' && e.phase === 'report') fs.rmSync(r.handle.dir, { recursive: true, force: true });
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    assert.match(state.reportError ?? '', /ENOENT/);
    assert.equal(state.reportFiles.length, 0);
  });
});
