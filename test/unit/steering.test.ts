// Watching and steering agents: the transcript fold, the agents' current step, the user's messages
// (through the scripted port and through the real SDKs against the wire-exact fakes) and Stop Task.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conv, planStep, turn, writesThenFinishes, type Step } from '../helpers/scripted';
import { ofType, run, testConfig, untilRequests, type Run } from '../helpers/session';
import { runWithFakes } from '../helpers/fake-session';
import { startFakeServer, type FakeKind } from '../../src/fakes/index';
import type { FakeReply, FakeServer } from '../../src/fakes/script';
import type { ChatRequest } from '../../src/core/ports';
import type { EnsembleEvent, EventBody } from '../../src/core/events';
import { applyEvent, foldEvents, initialState } from '../../src/core/fold/state';
import { foldTranscript, type TranscriptEntry } from '../../src/core/fold/transcript';
import { BlobStore, sha256 } from '../../src/core/store/blobs';
import type { ProviderKind } from '../../src/providers/index';
import { agentRows, incidents, taskRows, timelineRows, transcriptRows } from '../../webview/rows';
import { buildReport, renderMarkdown } from '../../src/core/fold/report';
import { outcomeText } from '../../src/core/fold/summary';
import { isWebviewMessage } from '../../src/protocol';
import { Steering, TaskStoppedError } from '../../src/core/session/steering';

const NOTE = 'Please use tabs, not spaces: house style.';

/** A promise and the function that settles it. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

const orchestrator = (tasks: Parameters<typeof planStep>[0], escalation?: (req: ChatRequest) => Step | Promise<Step>) => (req: ChatRequest): Step | Promise<Step> =>
  conv(req) === 'plan' ? planStep(tasks) : escalation ? escalation(req) : { error: { code: 'bad_request', retryable: false, message: `unexpected ${req.trace}` } };

/** Resolves with the first event of the log (already there or appended later) that `accept` takes. */
function untilEvent(r: Run, accept: (e: EnsembleEvent) => boolean): Promise<EnsembleEvent> {
  const seen = r.handle.log.readAll().find(accept);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const sub = r.handle.log.onDidAppend((e) => {
      if (!accept(e)) return;
      sub.dispose();
      resolve(e);
    });
  });
}

const kinds = (entries: TranscriptEntry[] | undefined) => (entries ?? []).map((e) => e.kind);

describe('steering: the transcript of an agent', () => {
  it('folds a session\'s events into each agent\'s entries, in order: prompt, text, tools with results, retries, errors flagged, a write by its blob', async () => {
    const big = Array.from({ length: 2000 }, (_, i) => `LINE-${i} of the data file`).join('\n') + '\n';
    const attempts = new Map<string, number>();
    const r = run('transcript', {
      orch: orchestrator([{ id: 't1', role: 'a' }]),
      p1: (req) => {
        const n = (attempts.get(req.trace!) ?? 0) + 1;
        attempts.set(req.trace!, n);
        switch (turn(req)) {
          case 1:
            return { text: 'Writing the data file.', toolCalls: [{ name: 'write_file', arguments: { path: 'big.txt', content: big } }] };
          case 2:
            return n === 1 ? { error: { code: 'rate_limit', status: 429, retryable: true, retryAfterMs: 15 } } : { toolCalls: [{ name: 'read_file', arguments: { path: 'big.txt' } }] };
          case 3:
            return { toolCalls: [{ name: 'edit_file', arguments: { path: 'missing.txt', edits: [{ oldText: 'a', newText: 'b' }] } }] };
          default:
            return { toolCalls: [{ name: 'finish', arguments: { summary: 'wrote and checked big.txt' } }] };
        }
      },
      p2: () => ({ error: { code: 'bad_request', retryable: false } }),
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    const events = r.events();
    const agentId = state.tasks.t1!.agentId!;
    const t = foldTranscript(events);
    const entries = t.agents[agentId]!;
    assert.deepEqual(kinds(entries), ['prompt', 'text', 'tool', 'retry', 'tool', 'tool', 'tool', 'end']);
    const [prompt, text, write, retry, read, edit, finish, end] = entries as [TranscriptEntry, ...TranscriptEntry[]];
    assert.ok(prompt.kind === 'prompt' && /Do t1/.test(prompt.text), 'the task request is the prompt');
    assert.ok(text?.kind === 'text' && text.text === 'Writing the data file.');
    assert.ok(write?.kind === 'tool' && write.tool === 'write_file' && write.ok === true && !write.error);
    assert.equal(write.result, `Wrote big.txt (created, ${Buffer.byteLength(big)} bytes).`);
    assert.deepEqual(write.files.map((f) => [f.path, f.change, f.beforeSha, f.afterSha]), [['big.txt', 'created', null, sha256(big)]]);
    assert.equal(new BlobStore(r.handle.dir).get(write.files[0]!.afterSha)?.toString('utf8'), big, 'the write is referenced by its blob, which holds the content');
    assert.ok(retry?.kind === 'retry' && retry.code === 'rate_limit' && retry.inMs === 15 && retry.attempt === 2, JSON.stringify(retry));
    assert.ok(read?.kind === 'tool' && read.ok === true && read.result === 'read 2000 lines of big.txt', JSON.stringify(read));
    assert.ok(edit?.kind === 'tool' && edit.ok === false && /missing\.txt does not exist/.test(edit.error ?? ''), 'the failed edit is flagged with its error');
    assert.ok(finish?.kind === 'tool' && finish.tool === 'finish');
    assert.ok(end?.kind === 'end' && end.outcome === 'completed' && end.text === 'wrote and checked big.txt');
    // Entries are in log order.
    assert.deepEqual(entries.map((e) => e.seq), [...entries.map((e) => e.seq)].sort((a, b) => a - b));

    // The file's content is in the blobs only: the log holds none of it (not once, let alone twice).
    const log = fs.readFileSync(path.join(r.handle.dir, 'events.jsonl'), 'utf8');
    assert.ok(!log.includes('LINE-1 of the data file'), 'no line of the file is in the log');
    assert.ok(Buffer.byteLength(log) < Buffer.byteLength(big), `the log (${Buffer.byteLength(log)} bytes) is smaller than the file (${Buffer.byteLength(big)} bytes) it wrote and read`);
  });

  it('still folds a log written before these events (no prompt, no tool results)', () => {
    const old = [
      { type: 'agent.spawned', agentId: 'a-1', role: 'a', provider: 'p', model: 'm', taskId: 't' },
      { type: 'tool.called', agentId: 'a-1', tool: 'read_file', summary: 'x.js' },
      { type: 'tool.failed', agentId: 'a-1', tool: 'write_file', error: 'boom' },
      { type: 'task.completed', taskId: 't', agentId: 'a-1', summary: 'ok' },
    ].map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: i }) as EnsembleEvent);
    const entries = foldTranscript(old).agents['a-1']!;
    assert.deepEqual(kinds(entries), ['tool', 'end']);
    assert.ok(entries[0]!.kind === 'tool' && entries[0]!.error === 'boom' && entries[0]!.result === undefined);
  });

  it('shows refusals with their words and provider switches', () => {
    const ev = [
      { type: 'agent.spawned', agentId: 'a-1', role: 'a', provider: 'p', model: 'm', taskId: 't' },
      { type: 'llm.error', callId: 'c1', agentId: 'a-1', provider: 'p', model: 'm', latencyMs: 1, code: 'refusal', retryable: false, message: 'I can\'t help with that.' },
      { type: 'provider.switched', agentId: 'a-1', taskId: 't', from: { provider: 'p', model: 'm' }, to: { provider: 'q', model: 'n' }, reason: 'refused' },
    ].map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: i }) as EnsembleEvent);
    const entries = foldTranscript(ev).agents['a-1']!;
    assert.deepEqual(kinds(entries), ['refusal', 'switch']);
    assert.ok(entries[0]!.kind === 'refusal' && entries[0]!.words === 'I can\'t help with that.');
  });
});

describe('steering: the current step of each agent', () => {
  const fold = (bodies: EventBody[]) => {
    const s = initialState();
    const steps: (string | undefined)[] = [];
    bodies.forEach((b, i) => {
      applyEvent(s, { ...b, v: 1, seq: i + 1, ts: i } as EnsembleEvent);
      steps.push(s.agents['a-1']?.step);
    });
    return steps;
  };
  const base = { agentId: 'a-1', taskId: 't' };
  const call = { ...base, callId: 'c', provider: 'p', model: 'm' };

  it('is thinking during a model call, the tool being used, the retry wait, and nothing once the agent is done', () => {
    const steps = fold([
      { type: 'agent.spawned', agentId: 'a-1', role: 'a', provider: 'p', model: 'm', taskId: 't' },
      { type: 'llm.request', ...call, trace: 'task/t#1', attempt: 1 },
      { type: 'tool.called', ...base, tool: 'write_file', summary: 'src/app.js (120 bytes)' },
      { type: 'tool.called', ...base, tool: 'read_file', summary: 'src/app.js' },
      { type: 'tool.called', ...base, tool: 'search_files', summary: '"todos" in src' },
      { type: 'tool.called', ...base, tool: 'run_command', summary: 'npm test' },
      { type: 'llm.request', ...call, trace: 'task/t#2', attempt: 1 },
      { type: 'llm.error', ...call, latencyMs: 1, code: 'rate_limit', retryable: true, message: '429' },
      { type: 'llm.retrying', ...base, provider: 'p', model: 'm', inMs: 3000, attempt: 2 },
      { type: 'task.completed', taskId: 't', agentId: 'a-1', summary: 'done' },
      { type: 'tool.called', ...base, tool: 'read_file', summary: 'late.js' },
    ]);
    assert.deepEqual(steps, [undefined, 'thinking', 'editing src/app.js', 'reading src/app.js', 'searching for "todos" in src', 'running npm test', 'thinking', 'thinking', 'retrying in 3 s', undefined, undefined]);
  });

  it('is live in the session state while a model call hangs', async () => {
    const g = gate();
    const r = run('step', {
      orch: orchestrator([{ id: 't1', role: 'a' }]),
      p1: async (req) => (turn(req) === 1 ? (await g.opened, writesThenFinishes({ 'a.txt': 'a' })(req)) : writesThenFinishes({ 'a.txt': 'a' })(req)),
      p2: () => ({ error: { code: 'bad_request', retryable: false } }),
    });
    await untilRequests(r, 2);
    const agentId = r.handle.state.tasks.t1!.agentId!;
    assert.equal(r.handle.state.agents[agentId]?.step, 'thinking');
    g.open();
    const state = await r.handle.done;
    assert.equal(state.agents[agentId]?.step, undefined);
  });
});

describe('steering: Message Agent', () => {
  it('appends the note to the agent\'s conversation before its next model call, after the tool results', async () => {
    const g = gate();
    const r = run('message', {
      orch: orchestrator([{ id: 't1', role: 'a' }]),
      p1: async (req) => {
        if (turn(req) === 1) await g.opened;
        return writesThenFinishes({ 'a.txt': 'a' })(req);
      },
      p2: () => ({ error: { code: 'bad_request', retryable: false } }),
    });
    await untilRequests(r, 2);
    const agentId = r.handle.state.tasks.t1!.agentId!;
    r.handle.messageAgent(agentId, `  ${NOTE}  `);
    g.open();
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    const [first, second] = r.providers.p1!.requests;
    assert.ok(!JSON.stringify(first!.messages).includes(NOTE), 'the call in flight is not changed');
    const roles = second!.messages.map((m) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'tool', 'user']);
    assert.match(second!.messages.at(-1)!.content, new RegExp(`message from the user[\\s\\S]*${NOTE}`, 'i'));
    const sent = ofType(r.events(), 'agent.messaged');
    assert.deepEqual(sent.map((e) => [e.agentId, e.taskId, e.text]), [[agentId, 't1', NOTE]]);
    assert.ok(kinds(foldTranscript(r.events()).agents[agentId]).includes('message'), 'the transcript shows it');
    assert.deepEqual(state.timelineMarks.map((m) => m.kind), ['message']);
    // Only once: the turn after does not repeat it.
    assert.equal(r.providers.p1!.requests.filter((q) => JSON.stringify(q.messages).includes(NOTE)).length, 1);
  });

  it('joins the last user turn rather than sending two user turns in a row', async () => {
    const g = gate();
    const r = run('message-nudge', {
      orch: orchestrator([{ id: 't1', role: 'a' }]),
      p1: async (req) => {
        if (turn(req) === 1) {
          await g.opened;
          return { text: 'Let me think about it.' }; // no tool call: the engine nudges it
        }
        return writesThenFinishes({ 'a.txt': 'a' })({ ...req, trace: `x#${turn(req) - 1}` });
      },
      p2: () => ({ error: { code: 'bad_request', retryable: false } }),
    });
    await untilRequests(r, 2);
    r.handle.messageAgent(r.handle.state.tasks.t1!.agentId!, NOTE);
    g.open();
    assert.equal((await r.handle.done).status, 'completed');
    const second = r.providers.p1!.requests[1]!;
    assert.deepEqual(second.messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.match(second.messages[2]!.content, /Continue by calling the tools[\s\S]*message from the user/i);
    assert.ok(second.messages[2]!.content.includes(NOTE));
  });

  it('refuses, with the reason, a note to an agent that is not working, an unknown agent, or an empty note; nothing is logged', async () => {
    const r = run('message-refused', { orch: orchestrator([{ id: 't1', role: 'a' }]), p1: writesThenFinishes({ 'a.txt': 'a' }), p2: () => ({ error: { code: 'bad_request', retryable: false } }) });
    await untilRequests(r, 2);
    const agentId = r.handle.state.tasks.t1!.agentId!;
    assert.throws(() => r.handle.messageAgent(agentId, '   '), /empty/);
    assert.throws(() => r.handle.messageAgent('nobody-9', NOTE), /no agent "nobody-9"/);
    assert.throws(() => r.handle.messageAgent(agentId, 'x'.repeat(9000)), /at most 8000/);
    await r.handle.done;
    assert.throws(() => r.handle.messageAgent(agentId, NOTE), /not working any more \(completed\)/);
    assert.equal(ofType(r.events(), 'agent.messaged').length, 0);
  });
});

describe('steering: Message Agent through the real SDKs', () => {
  const CASES: { kind: ProviderKind; fake: FakeKind; check: (body: unknown) => void }[] = [
    {
      kind: 'openai', fake: 'openai',
      check: (body) => {
        const m = (body as { messages: { role: string; content: string }[] }).messages;
        assert.deepEqual(m.map((x) => x.role), ['system', 'user', 'assistant', 'tool', 'user']);
        assert.ok(m.at(-1)!.content.includes(NOTE));
      },
    },
    {
      kind: 'anthropic', fake: 'anthropic',
      check: (body) => {
        const m = (body as { messages: { role: string; content: string | { type: string; text?: string }[] }[] }).messages;
        // The note joins the tool results' user turn, after them.
        assert.deepEqual(m.map((x) => x.role), ['user', 'assistant', 'user']);
        const last = m.at(-1)!.content as { type: string; text?: string }[];
        assert.deepEqual(last.map((b) => b.type), ['tool_result', 'text']);
        assert.ok(last[1]!.text!.includes(NOTE));
      },
    },
    {
      kind: 'gemini', fake: 'gemini',
      check: (body) => {
        const c = (body as { contents: { role: string; parts: { text?: string; functionResponse?: unknown }[] }[] }).contents;
        assert.deepEqual(c.map((x) => x.role), ['user', 'model', 'user']);
        const last = c.at(-1)!.parts;
        assert.ok(last[0]!.functionResponse, 'the function response first');
        assert.ok(last[1]!.text!.includes(NOTE));
      },
    },
  ];
  const servers: FakeServer[] = [];
  after(async () => Promise.all(servers.map((s) => s.close())));

  for (const c of CASES) {
    it(`${c.kind}: the fake receives a valid request carrying the note`, async () => {
      const g = gate();
      const inFlight = gate();
      const fake = await startFakeServer(c.fake, async (req): Promise<FakeReply> => {
        if (req.trace === 'task/t1#1') {
          inFlight.open();
          await g.opened;
          return { kind: 'reply', toolCalls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'a' } }] };
        }
        return { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
      });
      servers.push(fake);
      const r = runWithFakes('message-real', { orch: orchestrator([{ id: 't1', role: 'a' }]), p2: () => ({ error: { code: 'bad_request', retryable: false } }) }, { p1: { kind: c.kind, fake } }, testConfig());
      await inFlight.opened;
      r.handle.messageAgent(r.handle.state.tasks.t1!.agentId!, NOTE);
      g.open();
      const state = await r.handle.done;
      assert.equal(state.status, 'completed', state.error);
      assert.deepEqual(ofType(r.events(), 'llm.error').map((e) => e.message), [], 'no request was rejected');
      assert.deepEqual(fake.requests.map((q) => q.trace), ['task/t1#1', 'task/t1#2']);
      c.check(fake.requests[1]!.body);
    });
  }
});

describe('steering: Stop Task', () => {
  it('gives each task a signal that its Stop Task aborts, and the session\'s cancel too (with the session\'s reason) until it is released', () => {
    const session = new AbortController();
    const events: EventBody[] = [];
    const state = initialState();
    state.tasks.t1 = { status: 'running' } as (typeof state.tasks)[string];
    state.tasks.t2 = { status: 'running' } as (typeof state.tasks)[string];
    const steering = new Steering({ emit: (e: EventBody) => (events.push(e), e) } as never, state, session.signal);
    const t1 = steering.track('t1');
    const t2 = steering.track('t2');
    const t3 = steering.track('t3');
    steering.stop('t1');
    assert.ok(t1.signal.reason instanceof TaskStoppedError);
    assert.equal(t2.signal.aborted, false, 'only the stopped task');
    assert.deepEqual(events.map((e) => e.type), ['task.stopped']);
    t3.release(); // its work ended: the session's cancel is nothing to it
    session.abort('cancelled by the user');
    assert.equal(t2.signal.reason, 'cancelled by the user');
    assert.equal(t3.signal.aborted, false);
    const late = steering.track('t4');
    assert.equal(late.signal.reason, 'cancelled by the user', 'a task tracked after the cancel is aborted at once');
  });

  it('stops a stopped task once: a second stop does nothing until new work on the task starts', () => {
    const events: EventBody[] = [];
    const state = initialState();
    for (const id of ['t1', 't2']) state.tasks[id] = { status: 'running' } as (typeof state.tasks)[string];
    const steering = new Steering({ emit: (e: EventBody) => (events.push(e), e) } as never, state, new AbortController().signal);
    const agent = steering.track('t1');
    steering.stop('t1');
    steering.stop('t1'); // while the stop takes effect
    agent.release(); // the agent's work ended
    steering.stop('t1'); // before the orchestrator takes it
    assert.deepEqual(events.map((e) => e.type), ['task.stopped']);
    const orchestrator = steering.track('t1'); // escalated: new work, which a stop ends
    steering.stop('t1');
    assert.ok(orchestrator.signal.reason instanceof TaskStoppedError);
    orchestrator.release();
    state.tasks.t1!.status = 'skipped';
    steering.stop('t1');
    assert.deepEqual(events.map((e) => e.type), ['task.stopped', 'task.stopped']);
    // A task never stopped and not running is still an error that says why.
    state.tasks.t2!.status = 'completed';
    assert.throws(() => steering.stop('t2'), /Task t2 is not running \(completed\): there is nothing to stop/);
    assert.equal(events.length, 2);
  });

  it('aborts only that task\'s call; the orchestrator is asked (reason "stopped by the user"); the other task completes', async () => {
    const t2Gate = gate();
    const r = run('stop', {
      orch: orchestrator([{ id: 't1', role: 'a' }, { id: 't2', role: 'b' }], (req) => writesThenFinishes({ 't1.txt': 'by the orchestrator' })(req)),
      p1: (req) => (conv(req) === 'task/t1' ? { hang: true } : { error: { code: 'bad_request', retryable: false } }),
      p2: async (req) => {
        if (turn(req) === 1) await t2Gate.opened;
        return writesThenFinishes({ 't2.txt': 't2' })(req);
      },
    });
    await untilRequests(r, 3); // the plan, t1's and t2's first calls
    const t1Agent = r.handle.state.tasks.t1!.agentId!;
    r.handle.stopTask('t1');
    r.handle.stopTask('t1'); // a second click while the first takes effect
    await untilEvent(r, (e) => e.type === 'task.escalated');
    t2Gate.open(); // t2's call was in flight all along
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    const ev = r.events();
    assert.deepEqual(ofType(ev, 'task.stopped').map((e) => [e.taskId, e.by]), [['t1', 'user']], 'one stop, logged once');
    const errors = ofType(ev, 'llm.error');
    assert.deepEqual(errors.map((e) => [e.taskId, e.code]), [['t1', 'aborted']], 'only t1\'s call was aborted');
    assert.deepEqual(ofType(ev, 'task.escalated').map((e) => [e.taskId, e.reason]), [['t1', 'stopped by the user']]);
    const asked = r.providers.orch!.requests.find((q) => conv(q) === 'escalate/t1');
    assert.ok(asked, 'the orchestrator was asked');
    assert.match(JSON.stringify(asked.messages), /stopped by the user/);
    assert.deepEqual([state.tasks.t1!.status, state.tasks.t2!.status], ['completed', 'completed']);
    assert.equal(state.tasks.t1!.finishedBy?.by, 'orchestrator');
    assert.equal(fs.readFileSync(path.join(r.workspace, 't2.txt'), 'utf8'), 't2');
    assert.equal(state.agents[t1Agent]!.status, 'CANCELLED');
    assert.deepEqual(state.timelineMarks.map((m) => [m.kind, m.text]), [['stop', 'You stopped task Task t1']]);
    // Told as a stop, then what the orchestrator decided: not as the agent giving up, not as an escalation.
    const rows = transcriptRows(foldTranscript(ev).agents[t1Agent] ?? []);
    assert.deepEqual(rows.slice(-2).map((x) => [x.label, x.text]), [
      ['Stopped by you', 'The orchestrator decides what becomes of the task.'],
      ['Then', 'The orchestrator did the task itself.'],
    ]);
    assert.ok(!rows.some((x) => /Gave up/.test(x.label)), rows.map((x) => x.label).join(', '));
    assert.deepEqual(incidents({ state }), []);
    assert.deepEqual(state.escalations.map((e) => [e.taskId, e.byUser]), [['t1', true]]);
    const report = buildReport(state);
    assert.deepEqual(report.userActions.map((a) => (a.kind === 'stop' ? [a.kind, a.taskId, a.outcome] : [a.kind])), [['stop', 't1', 'did the task itself']]);
    assert.match(renderMarkdown(report), /## What you did\n\n- .*: you stopped task t1; the orchestrator then did the task itself/);
    assert.match(renderMarkdown(report), /- t1 stopped by you: handed to the orchestrator to decide/);
    assert.throws(() => r.handle.stopTask('t2'), /not running \(completed\)/);
    assert.throws(() => r.handle.stopTask('nope'), /no task "nope"/);
    r.handle.stopTask('t1'); // stopped, then done by the orchestrator: nothing to do, nothing to say
    assert.equal(ofType(r.events(), 'task.stopped').length, 1);
  });

  it('stopped again while the orchestrator handles it, the task is skipped and the session goes on', async () => {
    const r = run('stop-twice', {
      orch: orchestrator([{ id: 't1', role: 'a' }, { id: 't2', role: 'b', dependsOn: ['t1'] }], () => ({ hang: true })),
      p1: () => ({ hang: true }),
      p2: writesThenFinishes({ 't2.txt': 't2' }),
    });
    await untilRequests(r, 2);
    r.handle.stopTask('t1');
    await untilEvent(r, (e) => e.type === 'llm.request' && e.trace.startsWith('escalate/t1'));
    r.handle.stopTask('t1');
    r.handle.stopTask('t1');
    const state = await r.handle.done;
    r.handle.stopTask('t1');
    assert.deepEqual(ofType(r.events(), 'task.stopped').map((e) => e.taskId), ['t1', 't1'], 'the agent\'s work stopped, then the orchestrator\'s: two stops, each logged once');
    assert.equal(state.tasks.t1!.status, 'skipped');
    assert.equal(state.tasks.t1!.summary, 'stopped by the user');
    assert.deepEqual(taskRows(state).map((t) => t.statusText), ['skipped · stopped by you', 'completed']);
    // The session says that a task was skipped, wherever it says how it ended.
    assert.match(outcomeText(state), /^completed · 1\/2 tasks done, 1 skipped · /);
    assert.match(renderMarkdown(buildReport(state)), /\| t1: Task t1 \| a \| skipped \(stopped by you\) \|/);
    assert.equal(state.tasks.t2!.status, 'completed', 'its dependant still ran, told that t1 was skipped');
    assert.equal(state.status, 'completed', state.error);
    assert.ok(Object.values(state.agents).every((a) => a.status !== 'ACTIVE' && a.status !== 'READY'));
  });
});

describe('steering: the timeline marks', () => {
  it('places resumes and user actions between the phases they came between', () => {
    const bodies: EventBody[] = [
      { type: 'phase.started', phase: 'development' },
      { type: 'agent.messaged', agentId: 'a-1', text: NOTE },
      { type: 'phase.ended', phase: 'development', outcome: 'failed', note: 'killed' },
      { type: 'session.resumed', reason: 'the previous run was interrupted' },
      { type: 'phase.started', phase: 'development' },
      { type: 'review.kept', path: 'a.txt' },
      { type: 'review.reverted', path: 'b.txt', restoredSha: null },
    ];
    const s = foldEvents(bodies.map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: i }) as EnsembleEvent));
    assert.deepEqual(s.timelineMarks.map((m) => [m.kind, m.atPhase, m.text]), [
      ['message', 1, `Message to a-1: ${NOTE}`],
      ['resumed', 1, 'Resumed: the previous run was interrupted'],
      ['kept', 2, 'Kept a.txt'],
      ['reverted', 2, 'Reverted b.txt'],
    ]);
  });
});


describe('steering: the panel\'s rows (pure, no DOM)', () => {
  const at = (bodies: EventBody[]) => bodies.map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: 1_700_000_000_000 + i }) as EnsembleEvent);
  const base = { agentId: 'a-1', taskId: 't' };
  const events = at([
    { type: 'plan.accepted', rationale: 'r', tasks: [{ id: 't', title: 'Build it', description: 'd', role: 'a', dependsOn: [] }] },
    { type: 'phase.started', phase: 'development' },
    { type: 'agent.spawned', agentId: 'a-1', role: 'a', provider: 'p', model: 'm', taskId: 't' },
    { type: 'task.started', taskId: 't', agentId: 'a-1', role: 'a', provider: 'p', model: 'm' },
    { type: 'agent.prompt', ...base, text: 'Build it.\nWith care.' },
    { type: 'llm.request', ...base, callId: 'c', provider: 'p', model: 'm', trace: 'task/t#1', attempt: 1 },
    { type: 'agent.text', agentId: 'a-1', text: 'Writing ' },
    { type: 'agent.text', agentId: 'a-1', text: 'the app.' },
    { type: 'tool.called', ...base, tool: 'write_file', summary: 'src/app.js (12 bytes)' },
    { type: 'agent.messaged', ...base, text: NOTE },
    { type: 'file.written', ...base, path: 'src/app.js', change: 'created', beforeSha: null, afterSha: 'f'.repeat(64), bytes: 12 },
    { type: 'tool.result', ...base, tool: 'write_file', ok: true, summary: 'Wrote src/app.js (created, 12 bytes).' },
    { type: 'tool.called', ...base, tool: 'edit_file', summary: 'src/x.js (1 edit)' },
    { type: 'tool.failed', ...base, tool: 'edit_file', error: 'edit_file changed nothing: src/x.js does not exist.' },
    { type: 'tool.result', ...base, tool: 'edit_file', ok: false, summary: 'edit_file changed nothing: src/x.js does not exist.' },
    { type: 'llm.error', ...base, callId: 'c2', provider: 'p', model: 'm', latencyMs: 3, code: 'server', status: 503, retryable: true, message: 'overloaded' },
    { type: 'llm.retrying', ...base, provider: 'p', model: 'm', inMs: 2500, attempt: 2 },
  ]);

  it('an agent row carries its current step and whether it can be steered; a finished one neither', () => {
    const s = foldEvents(events);
    assert.deepEqual(agentRows(s).map((r) => [r.agentId, r.taskId, r.step, r.working]), [['a-1', 't', 'retrying in 3 s', true]]);
    const done = foldEvents([...events, ...at([{ type: 'task.completed', taskId: 't', agentId: 'a-1', summary: 'ok' }]).map((e) => ({ ...e, seq: e.seq + 100 }))]);
    assert.deepEqual(agentRows(done).map((r) => [r.step, r.working]), [['', false]]);
  });

  it('transcript rows: the prompt folded, streamed text joined, a write with its diff, an error flagged, the user\'s message, the retry', () => {
    const rows = transcriptRows(foldTranscript(events).agents['a-1']!);
    assert.deepEqual(rows.map((r) => [r.kind, r.label, r.text, r.tone, r.diffs]), [
      ['prompt', 'Task prompt', 'Build it.', 'muted', []],
      ['text', 'Said', 'Writing the app.', 'normal', []],
      ['tool', 'write_file src/app.js (12 bytes)', 'Wrote src/app.js (created, 12 bytes).', 'normal', ['src/app.js']],
      ['message', 'You', NOTE, 'user', []],
      ['tool', 'edit_file src/x.js (1 edit)', 'edit_file changed nothing: src/x.js does not exist.', 'error', []],
      ['retry', 'Retry', 'p/m: overloaded — attempt 2 in 2.5 s', 'warn', []],
    ]);
    assert.equal(rows[0]!.detail, 'Build it.\nWith care.');
    assert.deepEqual(rows.map((r) => r.key), [5, 7, 9, 10, 13, 16], 'keyed by the seq of the event that opened them');
  });

  it('a refused write is an error row that says so', () => {
    const rows = transcriptRows(foldTranscript(at([
      { type: 'tool.called', ...base, tool: 'write_file', summary: '.git/config (3 bytes)' },
      { type: 'file.refused', ...base, path: '.git/config', reason: 'protected', message: '.git is protected' },
      { type: 'tool.result', ...base, tool: 'write_file', ok: false, summary: '.git is protected' },
    ])).agents['a-1']!);
    assert.deepEqual(rows.map((r) => [r.text, r.tone]), [['refused: .git is protected', 'error']]);
  });

  it('the timeline interleaves the marks with the phases', () => {
    const s = foldEvents([...events, ...at([{ type: 'phase.ended', phase: 'development', outcome: 'ok' }, { type: 'phase.started', phase: 'integration' }]).map((e) => ({ ...e, seq: e.seq + 100 }))]);
    assert.deepEqual(timelineRows(s, true).map((r) => (r.kind === 'phase' ? `${r.phase.name}:${r.outcome}` : r.mark.kind)), ['development:ok', 'message', 'integration:running']);
  });

  it('the panel\'s messages for Message Agent and Stop Task are validated', () => {
    assert.ok(isWebviewMessage({ type: 'messageAgent', agentId: 'a-1' }));
    assert.ok(isWebviewMessage({ type: 'stopTask', taskId: 't' }));
    assert.ok(!isWebviewMessage({ type: 'messageAgent', agentId: '' }));
    assert.ok(!isWebviewMessage({ type: 'stopTask', taskId: 42 }));
    // An answer to a question of the session (questions.ts): a known answer to a numbered question.
    assert.ok(isWebviewMessage({ type: 'answer', id: 3, answer: 'session' }));
    assert.ok(isWebviewMessage({ type: 'answer', id: 3, answer: 'skip' }));
    assert.ok(!isWebviewMessage({ type: 'answer', id: 3, answer: 'always' }));
    assert.ok(!isWebviewMessage({ type: 'answer', id: 0, answer: 'once' }));
    assert.ok(!isWebviewMessage({ type: 'answer', id: '3', answer: 'once' }));
  });
});
