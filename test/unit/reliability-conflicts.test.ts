// Nothing lost: a user's edit made while a session runs (or while it is stopped) is never overwritten
// silently, whether or not the session ever read that file. The session takes a baseline of the
// workspace when it starts or resumes; its own earlier writes (from the log) count as its own; an
// editor's unsaved changes are a conflict too; a run killed between a write and its record is settled.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256 } from '../../src/core/store/blobs';
import type { ChatMessage, ChatRequest } from '../../src/core/ports';
import { resumeSession } from '../../src/core/session/session';
import { readEvents } from '../../src/core/store/log';
import { NodeFileStore } from '../../src/node/file-store';
import { conv, planStep, ScriptedProvider, turn, type Step } from '../helpers/scripted';
import { ofType, run, tempWorkspace, testConfig } from '../helpers/session';
import { NodeCommandRunner } from '../../src/node/command-runner';

const write = (p: string, content: string) => ({ name: 'write_file', arguments: { path: p, content } });
const read = (p: string) => ({ name: 'read_file', arguments: { path: p } });
const finish: Step = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };

/** An agent taking one step per turn (each may act as the user first), then finishing. */
function steps(...turns: (() => Step)[]): (req: ChatRequest) => Step {
  return (req) => turns[turn(req) - 1]?.() ?? finish;
}

/** The tool results the model got for its previous turn. */
function lastResults(req: ChatRequest): Extract<ChatMessage, { role: 'tool' }>[] {
  const i = req.messages.map((m) => m.role).lastIndexOf('assistant');
  return req.messages.slice(i + 1).filter((m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool');
}

const text = (ws: string, p: string) => fs.readFileSync(path.join(ws, p), 'utf8');

describe('reliability: conflicts with the user\'s edits', function () {
  this.timeout(30_000);

  it('refuses to overwrite a file the session never read when the user edits it mid-session, and keeps the user\'s bytes', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'notes.md'), 'my notes v1\n');
    fs.writeFileSync(path.join(ws, 'same-size.md'), 'AAAA\n');
    fs.writeFileSync(path.join(ws, 'untouched.md'), 'nobody edits this\n');
    const r = run('conflicts', {
      orch: () => planStep([{ id: 't1', role: 'a' }]),
      p1: steps(() => {
        // The user, in their editor, while the agent works:
        fs.writeFileSync(path.join(ws, 'notes.md'), 'my notes v2, longer now\n');
        fs.writeFileSync(path.join(ws, 'same-size.md'), 'BBBB\n');
        const later = new Date(Date.now() + 5_000); // the clock moved on (same size: only mtime tells)
        fs.utimesSync(path.join(ws, 'same-size.md'), later, later);
        fs.writeFileSync(path.join(ws, 'user-new.md'), 'created by the user mid-session\n');
        return { toolCalls: [write('notes.md', 'agent'), write('same-size.md', 'agent'), write('untouched.md', 'agent'), write('user-new.md', 'agent')] };
      }),
      p2: () => ({ hang: true }),
    }, { workspace: ws });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.equal(text(ws, 'notes.md'), 'my notes v2, longer now\n');
    assert.equal(text(ws, 'same-size.md'), 'BBBB\n');
    assert.equal(text(ws, 'user-new.md'), 'created by the user mid-session\n');
    assert.equal(text(ws, 'untouched.md'), 'agent', 'an unread file nobody touched is still written');
    const refused = ofType(r.events(), 'file.refused');
    assert.deepEqual(refused.map((e) => [e.path, e.reason]).sort(), [['notes.md', 'conflict'], ['same-size.md', 'conflict'], ['user-new.md', 'conflict']]);
    const results = lastResults(r.providers.p1!.requests[1]!);
    assert.deepEqual(results.map((m) => !!m.isError), [true, true, false, true]);
    assert.match(results[0]!.content, /changed on disk since this session started/);
    assert.match(results[3]!.content, /created or changed on disk since this session started/);
  });

  it('lets the agent write once it has read the user\'s new version', async () => {
    const ws = tempWorkspace();
    const r = run('read then write', {
      orch: () => planStep([{ id: 't1', role: 'a' }]),
      p1: steps(
        () => {
          fs.writeFileSync(path.join(ws, 'user-new.md'), 'created by the user\n');
          return { toolCalls: [write('user-new.md', 'agent v1')] };
        },
        () => ({ toolCalls: [read('user-new.md')] }),
        () => ({ toolCalls: [write('user-new.md', 'agent v2, having read it')] }),
      ),
      p2: () => ({ hang: true }),
    }, { workspace: ws });
    assert.equal((await r.handle.done).status, 'completed');
    assert.equal(text(ws, 'user-new.md'), 'agent v2, having read it');
    const written = ofType(r.events(), 'file.written').find((e) => e.path === 'user-new.md')!;
    assert.equal(written.beforeSha, sha256('created by the user\n'), 'the user\'s version is the "before" the review restores');
  });

  it('refuses a write under an editor with unsaved changes (the dirty check)', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'open.js'), 'on disk\n');
    const asked: string[] = [];
    const r = run('dirty', {
      orch: () => planStep([{ id: 't1', role: 'a' }]),
      p1: steps(() => ({ toolCalls: [read('open.js'), write('./open.js', 'agent'), write('closed.js', 'agent')] })),
      p2: () => ({ hang: true }),
    }, { workspace: ws, isDirty: async (p) => (asked.push(p), p === 'open.js') });
    assert.equal((await r.handle.done).status, 'completed');
    assert.equal(text(ws, 'open.js'), 'on disk\n');
    assert.equal(text(ws, 'closed.js'), 'agent');
    const refused = ofType(r.events(), 'file.refused');
    assert.deepEqual(refused.map((e) => [e.path, e.reason]), [['open.js', 'conflict']]);
    assert.match(refused[0]!.message, /unsaved changes/);
    assert.deepEqual(asked, ['open.js', 'closed.js'], 'asked with the normalised workspace-relative path');
  });

  it('on resume, counts the session\'s own earlier writes as its own, but not the user\'s edits since', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'existing.md'), 'the user\'s file\n');
    const first = run('resume conflicts', {
      orch: () => planStep([{ id: 't1', role: 'a' }, { id: 't2', role: 'b', dependsOn: ['t1'] }]),
      p1: steps(() => ({ toolCalls: [write('a.txt', 'from t1'), write('a2.txt', 'from t1')] })),
      p2: () => ({ hang: true }),
    }, { workspace: ws });
    const log = path.join(first.handle.dir, 'events.jsonl');
    while (!readEvents(log).events.some((e) => e.type === 'llm.request' && e.taskId === 't2')) await new Promise((res) => setTimeout(res, 10));
    first.handle.cancel('stopped for the test');
    assert.equal((await first.handle.done).status, 'cancelled');

    fs.writeFileSync(path.join(ws, 'a.txt'), 'the user edited the session\'s file while it was stopped\n');
    const providers = {
      orch: new ScriptedProvider('orch', () => ({ error: { code: 'bad_request', retryable: false, message: 'no planning on resume' } })),
      p1: new ScriptedProvider('p1', () => ({ error: { code: 'bad_request', retryable: false, message: 't1 is done' } })),
      p2: new ScriptedProvider('p2', (req) =>
        conv(req) !== 'task/t2'
          ? finish
          : steps(() => {
              fs.writeFileSync(path.join(ws, 'existing.md'), 'the user edits it during the resumed run\n');
              return { toolCalls: [write('a.txt', 'from t2'), write('a2.txt', 'from t2'), write('existing.md', 'from t2')] };
            })(req),
      ),
    };
    const handle = resumeSession({ dir: first.handle.dir, config: testConfig(), deps: { workspace: ws, store: new NodeFileStore(ws), runner: new NodeCommandRunner(), resolve: (id) => providers[id as keyof typeof providers] } });
    const state = await handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.equal(text(ws, 'a2.txt'), 'from t2', 'its own earlier write is its own: overwritten without conflict');
    assert.equal(text(ws, 'a.txt'), 'the user edited the session\'s file while it was stopped\n');
    assert.equal(text(ws, 'existing.md'), 'the user edits it during the resumed run\n');
    const refused = ofType(readEvents(log).events, 'file.refused');
    assert.deepEqual(refused.map((e) => [e.path, e.reason]).sort(), [['a.txt', 'conflict'], ['existing.md', 'conflict']]);
  });

  it('settles a write whose record was lost to a kill: landed → logged on resume, not landed → nothing', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'landed.txt'), 'original\n');
    const first = run('settle', {
      orch: () => planStep([{ id: 't1', role: 'a' }]),
      p1: () => ({ hang: true }),
      p2: () => ({ hang: true }),
    }, { workspace: ws });
    const log = path.join(first.handle.dir, 'events.jsonl');
    while (!readEvents(log).events.some((e) => e.type === 'llm.request' && e.taskId === 't1')) await new Promise((res) => setTimeout(res, 10));
    first.handle.cancel('stopped for the test');
    await first.handle.done;
    // As if killed between the intent and the record: one write landed on disk, the other did not.
    const body = (p: string, before: string | null, after: string) => ({ type: 'file.writing', agentId: 'a-1', taskId: 't1', path: p, change: before === null ? 'created' : 'modified', beforeSha: before === null ? null : sha256(before), afterSha: sha256(after), bytes: after.length, v: 1, ts: Date.now() });
    const seq = Math.max(...readEvents(log).events.map((e) => e.seq));
    fs.appendFileSync(log, JSON.stringify({ ...body('landed.txt', 'original\n', 'agent\n'), seq: seq + 1 }) + '\n' + JSON.stringify({ ...body('not-landed.txt', null, 'agent\n'), seq: seq + 2 }) + '\n');
    fs.writeFileSync(path.join(ws, 'landed.txt'), 'agent\n');

    const p1 = new ScriptedProvider('p1', steps(() => ({ toolCalls: [write('landed.txt', 'agent again\n')] })));
    const handle = resumeSession({ dir: first.handle.dir, config: testConfig(), deps: { workspace: ws, store: new NodeFileStore(ws), runner: new NodeCommandRunner(), resolve: (id) => (id === 'p1' ? p1 : undefined) } });
    const state = await handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.equal(text(ws, 'landed.txt'), 'agent again\n', 'the landed write is the session\'s own: no conflict');
    assert.equal(state.files['landed.txt']?.beforeSha, sha256('original\n'), 'the review still restores the user\'s original');
    assert.equal(state.files['not-landed.txt'], undefined);
    assert.equal(ofType(readEvents(log).events, 'file.refused').length, 0);
  });
});
