// A session killed with SIGKILL mid-way can be resumed from its log: finished work is kept, the
// unfinished task runs again, planning is not repeated.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { NodeFileStore } from '../../src/node/file-store';
import { resumeSession } from '../../src/core/session/session';
import { readEvents } from '../../src/core/store/log';
import { ScriptedProvider, planStep, writesThenFinishes } from '../helpers/scripted';
import { ofType, run, tempWorkspace, testConfig } from '../helpers/session';
import { NodeCommandRunner } from '../../src/node/command-runner';

function waitFor(file: string, ok: (text: string) => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (ok(text)) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${file}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('resume', () => {
  it('continues a session killed with SIGKILL mid-way, keeping what was done', async function () {
    this.timeout(30_000);
    const workspace = tempWorkspace();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'helpers', 'kill-child.ts'), workspace], { stdio: ['ignore', 'pipe', 'inherit'] });
    const dir = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    const log = path.join(dir, 'events.jsonl');
    await waitFor(log, (t) => t.includes('"trace":"task/t2#1"'), 20_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    fs.appendFileSync(log, '{"type":"llm.resp'); // as if the kill landed mid-write
    assert.equal(readEvents(log).skipped, 1);

    const providers: Record<string, ScriptedProvider> = {
      orch: new ScriptedProvider('orch', () => ({ error: { code: 'bad_request', retryable: false, message: 'planning must not run again' } })),
      p1: new ScriptedProvider('p1', () => ({ error: { code: 'bad_request', retryable: false, message: 't1 must not run again' } })),
      p2: new ScriptedProvider('p2', writesThenFinishes({ 'b.txt': 'second' })),
    };
    const handle = resumeSession({ dir, config: testConfig(), deps: { workspace, store: new NodeFileStore(workspace), runner: new NodeCommandRunner(), resolve: (id) => providers[id] } });
    const state = await handle.done;
    assert.equal(state.status, 'completed');
    assert.equal(fs.readFileSync(path.join(workspace, 'a.txt'), 'utf8'), 'first');
    assert.equal(fs.readFileSync(path.join(workspace, 'b.txt'), 'utf8'), 'second');
    assert.equal(providers.orch!.requests.length, 0);
    assert.equal(providers.p1!.requests.length, 0);
    const events = readEvents(log);
    assert.equal(events.skipped, 0); // the partial line was cut off before appending
    assert.equal(ofType(events.events, 'session.resumed').length, 1);
    // The resumed run says again how it prices its calls (a newer Ensemble may ship newer prices).
    const resumedAt = events.events.findIndex((e) => e.type === 'session.resumed');
    assert.deepEqual(events.events.map((e, i) => (e.type === 'pricing.loaded' ? i > resumedAt : undefined)).filter((x) => x !== undefined), [false, true]);
    assert.equal(ofType(events.events, 'task.started').filter((e) => e.taskId === 't1').length, 1);
  });

  it('refuses to resume a completed session', async () => {
    const workspace = tempWorkspace();
    const r = run('done', { orch: () => planStep([{ id: 'x', role: 'a' }]), p1: writesThenFinishes({ 'x.txt': 'x' }), p2: () => ({ hang: true }) }, { workspace });
    await r.handle.done;
    assert.throws(() => resumeSession({ dir: r.handle.dir, config: testConfig(), deps: { workspace, store: new NodeFileStore(workspace), runner: new NodeCommandRunner(), resolve: () => undefined } }), /already completed/);
  });
});
