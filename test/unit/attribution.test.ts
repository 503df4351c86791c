// Who finished each task and who paid for it, and a cancel that reads as a cancel: scripted sessions
// folded once, then read by the report (report.json / report.md) and by the panel's pure row
// functions, which must say the same thing.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conv, planStep, turn, writesThenFinishes, type Step } from '../helpers/scripted';
import { ofType, run, testConfig, untilRequests } from '../helpers/session';
import { buildReport, type ReportJson } from '../../src/core/fold/report';
import { foldEvents, type SessionState } from '../../src/core/fold/state';
import type { EnsembleEvent, EventBody } from '../../src/core/events';
import type { ChatRequest, Usage } from '../../src/core/ports';
import { agentRows, phaseOutcome, taskRows } from '../../webview/rows';
import { usd } from '../../webview/format';

// Test prices, $ per 1M tokens: the orchestrator is dearer than the role, so a mix-up shows.
const PRICES = { 'orch/o-1': { input: 3, output: 7 }, 'p1/m-1': { input: 1, output: 2 }, 'p2/m-2': { input: 0.5, output: 4 } };
const ROLE_USAGE: Usage = { input: 200, output: 30 };
const ORCH_USAGE: Usage = { input: 1000, output: 100 };
const price = (key: keyof typeof PRICES, u: Usage, calls: number) => (calls * (u.input * PRICES[key].input + u.output * PRICES[key].output)) / 1e6;
const close = (a: number | null | undefined, b: number, what: string) => assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-12, `${what}: ${a} ≠ ${b}`);
const round6 = (n: number) => Math.round(n * 1e6) / 1e6;

const plan = (tasks: Parameters<typeof planStep>[0], escalation: (req: ChatRequest) => Step) => (req: ChatRequest): Step => (conv(req) === 'plan' ? planStep(tasks) : { ...escalation(req), usage: ORCH_USAGE } as Step);
const reportOf = (dir: string): ReportJson => JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));

describe('who finished a task and who paid for it', () => {
  let state: SessionState;
  let report: ReportJson;
  let markdown: string;
  let roleCalls: number;
  let orchCalls: number;

  before(async () => {
    // The role agent only talks (never uses its tools), so it is escalated; the orchestrator writes the tests itself.
    const r = run('escalate and finish', {
      orch: plan([{ id: 'qa', role: 'a' }], writesThenFinishes({ 'test.js': 'by the orchestrator' })),
      p1: () => ({ text: 'I would write tests like this…', usage: ROLE_USAGE }),
      p2: () => ({ hang: true }),
    }, { config: testConfig({ pricing: PRICES }) });
    state = await r.handle.done;
    roleCalls = r.providers.p1!.requests.length;
    orchCalls = r.providers.orch!.requests.filter((q) => conv(q) === 'escalate/qa').length;
    report = reportOf(r.handle.dir);
    markdown = fs.readFileSync(path.join(r.handle.dir, 'report.md'), 'utf8');
    assert.equal(state.status, 'completed');
    assert.ok(roleCalls >= 1 && orchCalls === 2, `${roleCalls} role calls, ${orchCalls} orchestrator calls`);
  });

  it('the fold says the orchestrator finished it, on its own model, and splits the cost by who spent it', () => {
    const t = state.tasks.qa!;
    assert.equal(t.status, 'completed');
    assert.deepEqual(t.finishedBy, { by: 'orchestrator', role: 'orchestrator', provider: 'orch', model: 'o-1' });
    assert.deepEqual([t.provider, t.model], ['orch', 'o-1']); // the route that finished it
    assert.deepEqual(t.spentBy.map((x) => [x.role, x.provider, x.model, x.figures.calls]), [['a', 'p1', 'm-1', roleCalls], ['orchestrator', 'orch', 'o-1', orchCalls]]);
    close(t.spentBy[0]!.figures.costUsd, price('p1/m-1', ROLE_USAGE, roleCalls), 'role cost');
    close(t.spentBy[1]!.figures.costUsd, price('orch/o-1', ORCH_USAGE, orchCalls), 'orchestrator cost');
    close(t.figures.costUsd, price('p1/m-1', ROLE_USAGE, roleCalls) + price('orch/o-1', ORCH_USAGE, orchCalls), 'task total');
    assert.deepEqual([t.spentBy[1]!.figures.input, t.spentBy[1]!.figures.output], [orchCalls * ORCH_USAGE.input, orchCalls * ORCH_USAGE.output]);
  });

  it('the agent that gave up is ESCALATED, not FAILED; the orchestrator agent COMPLETED', () => {
    const byRole = Object.fromEntries(Object.values(state.agents).map((a) => [a.role, a.status]));
    assert.deepEqual(byRole, { a: 'ESCALATED', orchestrator: 'COMPLETED' });
  });

  it('report.json carries the same figures as the fold', () => {
    const t = report.tasks.find((x) => x.id === 'qa')!;
    assert.deepEqual(t.finishedBy, { by: 'orchestrator', role: 'orchestrator', provider: 'orch', model: 'o-1' });
    assert.deepEqual([t.provider, t.model, t.role], ['orch', 'o-1', 'a']);
    assert.deepEqual(t.spentBy, [
      { role: 'a', provider: 'p1', model: 'm-1', calls: roleCalls, tokens: { input: roleCalls * ROLE_USAGE.input, output: roleCalls * ROLE_USAGE.output, cachedInput: 0 }, costUsd: round6(price('p1/m-1', ROLE_USAGE, roleCalls)), planCalls: 0 },
      { role: 'orchestrator', provider: 'orch', model: 'o-1', calls: orchCalls, tokens: { input: orchCalls * ORCH_USAGE.input, output: orchCalls * ORCH_USAGE.output, cachedInput: 0 }, costUsd: round6(price('orch/o-1', ORCH_USAGE, orchCalls)), planCalls: 0 },
    ]);
    assert.deepEqual(report, buildReport(state), 'the written report is the fold of the final state');
  });

  it('report.md says who finished it and what each of them cost', () => {
    const row = markdown.split('\n').find((l) => l.startsWith('| qa: '))!;
    assert.ok(row.includes('| orchestrator after escalation on orch/o-1 |'), row);
    assert.ok(row.includes(`a p1/m-1 $${price('p1/m-1', ROLE_USAGE, roleCalls).toFixed(4)} + orchestrator orch/o-1 $${price('orch/o-1', ORCH_USAGE, orchCalls).toFixed(4)}`), row);
  });

  it('the panel shows the role agent handing over and the task row says who finished it, with the same dollars', () => {
    const agents = agentRows(state);
    const role = agents.find((a) => a.role === 'a')!;
    assert.deepEqual([role.status, role.statusClass, role.route], ['ESCALATED → orchestrator', 'agent-escalated', 'p1 / m-1']);
    assert.ok(!agents.some((a) => /FAILED/.test(a.status)));
    const [row] = taskRows(state);
    assert.deepEqual([row!.status, row!.finishedBy], ['completed', 'orchestrator after escalation on orch/o-1']);
    assert.equal(row!.cost, usd(price('p1/m-1', ROLE_USAGE, roleCalls) + price('orch/o-1', ORCH_USAGE, orchCalls)));
    assert.deepEqual(row!.spentBy.map((x) => x.split(' · ')[0]), [`a on p1/m-1: ${usd(price('p1/m-1', ROLE_USAGE, roleCalls))}`, `orchestrator on orch/o-1: ${usd(price('orch/o-1', ORCH_USAGE, orchCalls))}`]);
    assert.equal(row!.spentBy[1]!.split(' · ')[1], `${orchCalls} calls`);
  });

  it('a role that finishes after a provider switch is named with the route it finished on', async () => {
    const config = testConfig({ pricing: PRICES, roles: { a: { provider: 'p1', model: 'm-1', fallback: { provider: 'p2', model: 'm-2' } }, b: { provider: 'p2', model: 'm-2' } } });
    const r = run('switch', {
      orch: plan([{ id: 'ui', role: 'a' }], () => ({ hang: true })),
      p1: (req) => (turn(req) === 1 ? { ...writesThenFinishes({ 'a.txt': 'p1' })(req), usage: ROLE_USAGE } as Step : { error: { code: 'server', status: 503, retryable: true } }),
      p2: (req) => ({ ...writesThenFinishes({ 'b.txt': 'p2' })({ ...req, trace: 'x#2' }), usage: ROLE_USAGE }) as Step,
    }, { config });
    const s = await r.handle.done;
    const t = s.tasks.ui!;
    assert.deepEqual(t.finishedBy, { by: 'role', role: 'a', provider: 'p2', model: 'm-2' });
    assert.deepEqual(t.spentBy.map((x) => `${x.role} ${x.provider}/${x.model} ${x.figures.calls - x.figures.failures} ok`), ['a p1/m-1 1 ok', 'a p2/m-2 1 ok']);
    close(t.spentBy[1]!.figures.costUsd, price('p2/m-2', ROLE_USAGE, 1), 'p2 cost');
    assert.equal(taskRows(s)[0]!.finishedBy, 'a on p2/m-2');
  });

  it('a task the orchestrator reassigned is finished by the new role, and all three spenders are listed', async () => {
    const r = run('reassign', {
      orch: plan([{ id: 'x', role: 'a' }], () => ({ toolCalls: [{ name: 'reassign_task', arguments: { taskId: 'x', role: 'b', reason: 'b knows this' } }] })),
      p1: () => ({ text: 'no tools from me', usage: ROLE_USAGE }),
      p2: (req) => ({ ...writesThenFinishes({ 'x.txt': 'by b' })(req), usage: ROLE_USAGE }) as Step,
    }, { config: testConfig({ pricing: PRICES }) });
    const s = await r.handle.done;
    const t = s.tasks.x!;
    assert.equal(t.status, 'completed');
    assert.deepEqual(t.finishedBy, { by: 'reassigned', role: 'b', provider: 'p2', model: 'm-2' });
    assert.deepEqual(t.spentBy.map((x) => x.role), ['a', 'orchestrator', 'b']);
    assert.equal(buildReport(s).tasks[0]!.finishedBy?.by, 'reassigned');
    assert.equal(taskRows(s)[0]!.finishedBy, 'b (reassigned) on p2/m-2');
  });
});

describe('a cancel reads as a cancel', () => {
  it('the phase the user cancelled ends cancelled, in the fold, the report and the panel', async () => {
    const r = run('cancel', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 'h1', role: 'a' }]) : { hang: true }),
      p1: () => ({ hang: true }),
      p2: () => ({ hang: true }),
    });
    await untilRequests(r, 2);
    r.handle.cancel();
    const state = await r.handle.done;
    assert.equal(state.status, 'cancelled');
    // The log keeps what happened (the phase threw); the fold reads it as the cancel it was.
    assert.equal(ofType(r.events(), 'phase.ended').find((e) => e.phase === 'development')?.outcome, 'failed');
    const dev = state.phases.find((p) => p.name === 'development')!;
    assert.equal(dev.outcome, 'cancelled');
    assert.equal(phaseOutcome(dev, state, false), 'cancelled');
    assert.deepEqual(reportOf(r.handle.dir).phases.map((p) => `${p.name}:${p.outcome}`), ['setup:ok', 'planning:ok', 'development:cancelled', 'report:ok']);
  });

  const log = (...bodies: EventBody[]): EnsembleEvent[] => bodies.map((b, i) => ({ ...b, v: 1, seq: i + 1, ts: 1000 + i }) as EnsembleEvent);
  const started: EventBody = { type: 'session.started', sessionId: 's', goal: 'g', config: { orchestrator: { provider: 'o', model: 'm' }, roles: {}, maxConcurrency: 1 } };

  it('a phase that failed on its own stays failed when the cancel came after it', () => {
    const s = foldEvents(log(started, { type: 'phase.started', phase: 'development' }, { type: 'phase.ended', phase: 'development', outcome: 'failed' }, { type: 'session.ended', status: 'cancelled' }));
    assert.equal(s.phases[0]!.outcome, 'failed');
  });

  it('a failure from an earlier run stays failed when a resumed run is cancelled', () => {
    const s = foldEvents(log(
      started,
      { type: 'phase.started', phase: 'development' },
      { type: 'phase.ended', phase: 'development', outcome: 'failed', note: 'boom' },
      { type: 'session.ended', status: 'failed', error: 'boom' },
      { type: 'session.resumed' },
      { type: 'session.ended', status: 'cancelled', error: 'cancelled by the user' },
    ));
    assert.equal(s.phases[0]!.outcome, 'failed');
  });
});
