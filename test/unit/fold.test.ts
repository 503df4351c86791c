// The shared reducer's figures, from literal events: what a provider served is what the fold counts.

import * as assert from 'node:assert/strict';
import type { EnsembleEvent, EventBody } from '../../src/core/events';
import { foldEvents } from '../../src/core/fold/state';
import { buildReport, localTime, renderMarkdown } from '../../src/core/fold/report';
import { agentRows } from '../../webview/rows';
import { foldTranscript } from '../../src/core/fold/transcript';
import { outcomeText, progressText, summarise, taskCounts, tasksText } from '../../src/core/fold/summary';

function log(bodies: EventBody[]): EnsembleEvent[] {
  return bodies.map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: 1000 + i }) as EnsembleEvent);
}

const config = { orchestrator: { provider: 'anthropic', model: 'claude' }, roles: { backend: { provider: 'gemini', model: 'g' } }, maxConcurrency: 2 };
const call = (callId: string, agentId: string, provider: string, usage: { input: number; output: number; cachedInput?: number; cacheWrite?: number }, costUsd: number | null, taskId?: string): EventBody[] => [
  { type: 'llm.request', callId, agentId, taskId, provider, model: 'm', trace: `${callId}#1`, attempt: 1 },
  { type: 'llm.response', callId, agentId, taskId, provider, model: 'm', latencyMs: 100, usage, costUsd, stopReason: 'end', toolCalls: [] },
];

describe('fold: tokens and dollars', () => {
  const events = log([
    { type: 'session.started', sessionId: 's', goal: 'g', config },
    { type: 'plan.accepted', rationale: 'r', tasks: [{ id: 't1', title: 'T1', description: 'd', role: 'backend', dependsOn: [] }] },
    { type: 'agent.spawned', agentId: 'backend-1', role: 'backend', provider: 'gemini', model: 'g', taskId: 't1' },
    { type: 'task.started', taskId: 't1', agentId: 'backend-1', role: 'backend', provider: 'gemini', model: 'g' },
    ...call('c1', 'orchestrator-0', 'anthropic', { input: 1000, output: 200, cachedInput: 5000, cacheWrite: 700 }, 0.5),
    ...call('c2', 'backend-1', 'gemini', { input: 300, output: 40, cachedInput: 1200 }, 0.25, 't1'),
    ...call('c3', 'backend-1', 'gemini', { input: 10, output: 5 }, null, 't1'),
  ]);
  const s = foldEvents(events);

  it('counts cached input tokens per provider, per role and per task', () => {
    assert.equal(s.providers.anthropic!.cachedInput, 5000);
    assert.equal(s.providers.gemini!.cachedInput, 1200);
    assert.equal(s.roles.orchestrator!.cachedInput, 5000);
    assert.equal(s.roles.backend!.cachedInput, 1200);
    assert.equal(s.tasks.t1!.figures.cachedInput, 1200);
    assert.equal(s.providers.gemini!.input, 310);
    assert.equal(s.providers.gemini!.output, 45);
  });

  it('adds priced calls and marks a provider with an unpriced call as unknown in the report', () => {
    const r = buildReport(s);
    assert.deepEqual(r.metrics.tokens.anthropic, { input: 1000, output: 200, cachedInput: 5000, cacheWrite: 700 });
    assert.deepEqual(r.metrics.tokens.gemini, { input: 310, output: 45, cachedInput: 1200, cacheWrite: 0 });
    assert.equal(r.metrics.costUsd.anthropic, 0.5);
    assert.equal(r.metrics.costUsd.gemini, null);
    assert.equal(r.metrics.costUsd.total, null);
    assert.equal(r.metrics.calls, 3);
  });
});

describe('fold: agents are settled when their run ends', () => {
  const start: EventBody[] = [
    { type: 'session.started', sessionId: 's', goal: 'g', config },
    { type: 'plan.accepted', rationale: 'r', tasks: [{ id: 't1', title: 'T1', description: 'd', role: 'backend', dependsOn: [] }, { id: 't2', title: 'T2', description: 'd', role: 'backend', dependsOn: [] }] },
    { type: 'agent.spawned', agentId: 'backend-2', role: 'backend', provider: 'gemini', model: 'g', taskId: 't2' },
    { type: 'agent.spawned', agentId: 'backend-1', role: 'backend', provider: 'gemini', model: 'g', taskId: 't1' },
    { type: 'task.started', taskId: 't1', agentId: 'backend-1', role: 'backend', provider: 'gemini', model: 'g' },
    { type: 'llm.request', callId: 'c1', agentId: 'backend-1', taskId: 't1', provider: 'gemini', model: 'g', trace: 'task/t1#1', attempt: 1 },
    { type: 'task.started', taskId: 't2', agentId: 'backend-2', role: 'backend', provider: 'gemini', model: 'g' },
    { type: 'task.completed', taskId: 't2', agentId: 'backend-2', summary: 'done' },
  ];

  it('a cancel leaves no agent ACTIVE: the working ones read CANCELLED, the finished keep their status', () => {
    const s = foldEvents(log([...start, { type: 'session.ended', status: 'cancelled', error: 'cancelled by the user' }]));
    assert.equal(s.agents['backend-1']!.status, 'CANCELLED');
    assert.equal(s.agents['backend-2']!.status, 'COMPLETED');
  });

  it('a cancel settles the tasks too: none reads running; every view counts them the same way; a resume runs them again', () => {
    const s = foldEvents(log([...start, { type: 'session.ended', status: 'cancelled', error: 'cancelled by the user' }]));
    assert.deepEqual([s.tasks.t1!.status, s.tasks.t2!.status], ['cancelled', 'completed']);
    assert.equal(tasksText(taskCounts(s)), '1/2 tasks done');
    assert.equal(outcomeText(s), 'cancelled (cancelled by the user) · 1/2 tasks done · 0 files changed · $0.00');
    assert.equal(buildReport(s).tasks[0]!.status, 'cancelled');
    const other = foldEvents(log([...start, { type: 'session.ended', status: 'budget_exhausted' }]));
    assert.equal(other.tasks.t1!.status, 'interrupted');
    const resumed = foldEvents(log([...start, { type: 'session.ended', status: 'cancelled' }, { type: 'session.resumed', reason: 'the previous run ended cancelled' }]));
    assert.equal(resumed.tasks.t1!.status, 'pending', 'it waits to run again');
    assert.equal(resumed.tasks.t2!.status, 'completed');
  });

  it('a resume after a kill marks the earlier run’s working agents INTERRUPTED; another end marks them STOPPED', () => {
    const resumed = foldEvents(log([...start, { type: 'session.resumed', reason: 'the previous run was interrupted' }]));
    assert.equal(resumed.agents['backend-1']!.status, 'INTERRUPTED');
    const failed = foldEvents(log([...start, { type: 'session.ended', status: 'budget_exhausted' }]));
    assert.equal(failed.agents['backend-1']!.status, 'STOPPED');
  });

  it('the panel lists agents grouped by task, in the plan’s order', () => {
    const s = foldEvents(log(start));
    assert.deepEqual(agentRows(s).map((r) => r.task.split(' ')[0]), ['T1', 'T2']);
  });
});

describe('report.md: local times', () => {
  it('shows a time in the given zone with the zone named; report.json keeps ISO', () => {
    assert.equal(localTime('2026-11-27T13:05:09.000Z', 'Europe/Paris'), '2026-11-27 14:05:09 GMT+1');
    assert.equal(localTime('2026-07-01T23:30:00.000Z', 'America/New_York'), '2026-07-01 19:30:00 EDT');
    assert.equal(localTime(null), '—');
    const r = buildReport(foldEvents(log([{ type: 'session.started', sessionId: 's', goal: 'g', config }])));
    assert.match(r.startedAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('fold: an agent waiting for a command approval says so', () => {
  it('waiting for approval, then running, then thinking after a denial', () => {
    const base: EventBody[] = [
      { type: 'session.started', sessionId: 's', goal: 'g', config },
      { type: 'plan.accepted', rationale: 'r', tasks: [{ id: 't1', title: 'T1', description: 'd', role: 'backend', dependsOn: [] }] },
      { type: 'agent.spawned', agentId: 'backend-1', role: 'backend', provider: 'gemini', model: 'g', taskId: 't1' },
      { type: 'task.started', taskId: 't1', agentId: 'backend-1', role: 'backend', provider: 'gemini', model: 'g' },
      { type: 'llm.request', callId: 'c1', agentId: 'backend-1', taskId: 't1', provider: 'gemini', model: 'g', trace: 'task/t1#1', attempt: 1 },
      { type: 'command.requested', commandId: 'k1', agentId: 'backend-1', taskId: 't1', role: 'backend', command: 'npm test', cwd: '.', timeoutMs: 1000 },
    ];
    assert.equal(foldEvents(log(base)).agents['backend-1']!.step, 'waiting for approval to run npm test');
    const approved = foldEvents(log([...base, { type: 'command.decided', commandId: 'k1', decision: 'approved', by: 'user', scope: 'once', reason: 'you allowed it once' }]));
    assert.equal(approved.agents['backend-1']!.step, 'running npm test');
    const denied = foldEvents(log([...base, { type: 'command.decided', commandId: 'k1', decision: 'denied', by: 'user', reason: 'you denied it' }]));
    assert.equal(denied.agents['backend-1']!.step, 'thinking');
  });
});

describe('fold: a transcript keeps each turn\'s words apart', () => {
  it('text streamed in pieces within a turn is one entry; the next turn\'s text is another', () => {
    const req = (callId: string): EventBody => ({ type: 'llm.request', callId, agentId: 'qa-1', provider: 'p', model: 'm', trace: `task/t#${callId}`, attempt: 1 });
    const t = foldTranscript(log([
      { type: 'agent.spawned', agentId: 'qa-1', role: 'qa', provider: 'p', model: 'm', taskId: 't' },
      req('1'),
      { type: 'agent.text', agentId: 'qa-1', text: 'No tests exist ' },
      { type: 'agent.text', agentId: 'qa-1', text: 'yet.' },
      req('2'),
      { type: 'agent.text', agentId: 'qa-1', text: 'Understood.' },
    ]));
    assert.deepEqual(t.agents['qa-1']!.filter((e) => e.kind === 'text').map((e) => (e.kind === 'text' ? e.text : '')), ['No tests exist yet.', 'Understood.']);
  });
});

describe('fold: one line for the tasks and the money, in every view', () => {
  const tasks = ['a', 'b', 'c', 'd'].map((id) => ({ id, title: id.toUpperCase(), description: 'd', role: 'backend', dependsOn: [] }));
  const events = log([
    { type: 'session.started', sessionId: 's', goal: 'g', config },
    { type: 'phase.started', phase: 'development' },
    { type: 'plan.accepted', rationale: 'r', tasks },
    ...call('c1', 'orchestrator-0', 'anthropic', { input: 1000, output: 200 }, 0.0402),
    { type: 'task.completed', taskId: 'a', agentId: 'x', summary: 'done' },
    { type: 'task.completed', taskId: 'b', agentId: 'x', summary: 'done' },
    { type: 'task.skipped', taskId: 'c', reason: 'stopped by the user' },
  ]);
  const s = foldEvents(events);

  it('counts a skipped task as skipped, not done, and says so', () => {
    assert.deepEqual(taskCounts(s), { total: 4, completed: 2, skipped: 1, failed: 0 });
    assert.equal(tasksText(taskCounts(s)), '2/4 tasks done, 1 skipped');
    assert.equal(progressText(s), 'Development · 2/4 tasks done, 1 skipped · $0.0402');
  });

  it('the report and the session list count them alike', () => {
    const r = buildReport(s);
    assert.match(renderMarkdown(r), /\*\*Status:\*\* interrupted · 2\/4 tasks done, 1 skipped/);
    assert.deepEqual(summarise(s)!.tasks, { total: 4, completed: 2, skipped: 1, failed: 0 });
  });
});
