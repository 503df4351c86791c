// The plan's review (issue 13, steering): with `planApproval: "ask"` a valid plan waits for the user —
// approve, an edit checked by submit_plan's rules, feedback that reaches the orchestrator's next
// request, cancel — and a session interrupted while waiting proposes the same plan again on resume.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeFileStore } from '../../src/node/file-store';
import { NodeCommandRunner } from '../../src/node/command-runner';
import { resumeSession } from '../../src/core/session/session';
import { readEvents } from '../../src/core/store/log';
import { foldEvents } from '../../src/core/fold/state';
import { buildReport } from '../../src/core/fold/report';
import type { ChatRequest, PlanProposal, PlanReviewAnswer } from '../../src/core/ports';
import { ScriptedProvider, conv, planStep, writesThenFinishes, type Step } from '../helpers/scripted';
import { ofType, run, tempWorkspace, testConfig } from '../helpers/session';

const ask = testConfig({ planApproval: 'ask' });
const TWO = [{ id: 't1', role: 'a' }, { id: 't2', role: 'b', dependsOn: ['t1'] }];
const planner = (plans: Parameters<typeof planStep>[0][]) => (req: ChatRequest, n: number): Step => (conv(req) === 'plan' ? planStep(plans[Math.min(n, plans.length - 1)]!) : { error: { code: 'bad_request', retryable: false, message: `unexpected ${req.trace}` } });
const agents = { p1: (req: ChatRequest) => writesThenFinishes({ [`${conv(req).slice(5)}.txt`]: 'p1' })(req), p2: (req: ChatRequest) => writesThenFinishes({ [`${conv(req).slice(5)}.txt`]: 'p2' })(req) };
const report = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));

/** A reviewer that gives `answers` in turn, recording each proposal and what had run by then. */
function reviewer(answers: PlanReviewAnswer[], seen: { proposal: PlanProposal; agentCalls: number }[], calls: () => number) {
  return async (proposal: PlanProposal): Promise<PlanReviewAnswer> => {
    seen.push({ proposal: structuredClone(proposal), agentCalls: calls() });
    await new Promise((r) => setTimeout(r, 20));
    return answers[seen.length - 1] ?? { action: 'cancel', reason: 'the test ran out of answers' };
  };
}

describe('plan review', () => {
  it('waits for approval before any agent runs, then runs the approved plan', async () => {
    const seen: { proposal: PlanProposal; agentCalls: number }[] = [];
    const r = run('approve', { orch: planner([TWO]), ...agents }, { config: ask, reviewPlan: reviewer([{ action: 'approve' }], seen, () => r.providers.p1!.requests.length + r.providers.p2!.requests.length) });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.agentCalls, 0, 'no agent ran before the plan was approved');
    const p = seen[0]!.proposal;
    assert.deepEqual(p.tasks.map((t) => [t.id, t.role, t.dependsOn]), [['t1', 'a', []], ['t2', 'b', ['t1']]]);
    assert.deepEqual(p.routes, { t1: { provider: 'p1', model: 'm-1' }, t2: { provider: 'p2', model: 'm-2' } });
    assert.ok(typeof p.estimateUsd === 'number' && p.estimateUsd > 0, `estimate ${p.estimateUsd}`);
    assert.deepEqual(p.errors, []);
    const ev = r.events();
    const types = ev.map((e) => e.type).filter((t) => t.startsWith('plan.'));
    assert.deepEqual(types, ['plan.proposed', 'plan.approved', 'plan.accepted']);
    assert.equal(ofType(ev, 'plan.approved')[0]!.by, 'user');
    assert.equal(ofType(ev, 'plan.proposed')[0]!.estimateUsd, p.estimateUsd);
    assert.deepEqual(report(r.handle.dir).plan, { proposals: 1, approvedBy: 'user', edited: false, feedback: [] });
    assert.match(fs.readFileSync(path.join(r.handle.dir, 'report.md'), 'utf8'), /## Plan review\n\nPlans proposed: 1 · approved: by you/);
  });

  it('runs a valid edit as the approved plan', async () => {
    const seen: { proposal: PlanProposal; agentCalls: number }[] = [];
    const edited = [{ id: 'only', title: 'Only task', description: 'Do it on b', role: 'b', dependsOn: [] }];
    const r = run('edit', { orch: planner([TWO]), ...agents }, { config: ask, reviewPlan: reviewer([{ action: 'edit', tasks: edited, rationale: 'mine' }], seen, () => 0) });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.deepEqual(state.taskOrder, ['only']);
    assert.equal(state.planRationale, 'mine');
    assert.equal(r.providers.p1!.requests.length, 0, 'the removed task never ran');
    assert.equal(fs.readFileSync(path.join(r.workspace, 'only.txt'), 'utf8'), 'p2');
    assert.deepEqual(r.events().map((e) => e.type).filter((t) => t.startsWith('plan.')), ['plan.proposed', 'plan.edited', 'plan.approved', 'plan.accepted']);
    assert.deepEqual(report(r.handle.dir).plan, { proposals: 1, approvedBy: 'user', edited: true, feedback: [] });
  });

  it('refuses an edit that breaks submit_plan\'s rules, naming each problem, and proposes the same plan again', async () => {
    const seen: { proposal: PlanProposal; agentCalls: number }[] = [];
    const t = (id: string, role: string, dependsOn: string[]) => ({ id, title: id, description: id, role, dependsOn });
    const bad = [t('x', 'ghost', []), t('y', 'a', ['nowhere']), t('c1', 'a', ['c2']), t('c2', 'a', ['c1']), t('x', 'b', [])];
    const r = run('bad edit', { orch: planner([TWO]), ...agents }, { config: ask, reviewPlan: reviewer([{ action: 'edit', tasks: bad }, { action: 'edit', tasks: 'not a list' }, { action: 'approve' }], seen, () => 0) });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.equal(seen.length, 3);
    const errors = seen[1]!.proposal.errors.join('\n');
    assert.match(errors, /role "ghost", which is not configured/);
    assert.match(errors, /depends on "nowhere", which is not a task/);
    assert.match(errors, /cycle: c1 → c2 → c1|cycle: c2 → c1 → c2/);
    assert.match(errors, /"x" is used more than once/);
    assert.match(seen[2]!.proposal.errors.join('\n'), /tasks: .*array/i);
    // The same plan each time; the original plan ran.
    assert.deepEqual(seen.map((s) => s.proposal.proposal), [1, 1, 1]);
    assert.deepEqual(state.taskOrder, ['t1', 't2']);
    assert.equal(ofType(r.events(), 'plan.edit_rejected').length, 2);
    assert.deepEqual(report(r.handle.dir).plan, { proposals: 1, approvedBy: 'user', edited: false, feedback: [] });
  });

  it('sends the user\'s feedback to the orchestrator, which plans again, and proposes the new plan', async () => {
    const seen: { proposal: PlanProposal; agentCalls: number }[] = [];
    const r = run('replan', { orch: planner([TWO, [{ id: 'solo', role: 'a' }]]), ...agents }, { config: ask, reviewPlan: reviewer([{ action: 'replan', feedback: 'One task on role a, please.' }, { action: 'approve' }], seen, () => 0) });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    const orch = r.providers.orch!.requests;
    assert.equal(orch.length, 2);
    const second = orch[1]!;
    assert.equal(second.trace, 'plan#3');
    const text = second.messages.map((m) => m.content).join('\n');
    assert.match(text, /One task on role a, please\./);
    assert.match(text, /"id": "t2"/, 'the previous plan is shown to the orchestrator');
    assert.doesNotMatch(orch[0]!.messages.map((m) => m.content).join('\n'), /One task on role a/);
    assert.deepEqual(seen.map((s) => [s.proposal.proposal, s.proposal.tasks.map((x) => x.id)]), [[1, ['t1', 't2']], [2, ['solo']]]);
    assert.deepEqual(state.taskOrder, ['solo']);
    assert.deepEqual(report(r.handle.dir).plan, { proposals: 2, approvedBy: 'user', edited: false, feedback: ['One task on role a, please.'] });
  });

  it('ends the session cancelled when the plan is cancelled, before any agent runs', async () => {
    const r = run('cancel', { orch: planner([TWO]), ...agents }, { config: ask, reviewPlan: async () => ({ action: 'cancel' }) });
    const state = await r.handle.done;
    assert.equal(state.status, 'cancelled');
    assert.match(state.error ?? '', /plan was cancelled/);
    assert.equal(r.providers.p1!.requests.length + r.providers.p2!.requests.length, 0);
    assert.equal(state.phases.find((p) => p.name === 'planning')!.outcome, 'cancelled');
    assert.equal(ofType(r.events(), 'plan.accepted').length, 0);
    assert.deepEqual(report(r.handle.dir).plan, { proposals: 1, approvedBy: null, edited: false, feedback: [] });
  });

  it('approves at once with planApproval "auto" (the engine\'s default) without asking', async () => {
    const r = run('auto', { orch: planner([TWO]), ...agents }, { reviewPlan: async () => assert.fail('auto must not ask') });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.deepEqual(ofType(r.events(), 'plan.approved').map((e) => e.by), ['auto']);
    assert.deepEqual(report(r.handle.dir).plan, { proposals: 1, approvedBy: 'auto', edited: false, feedback: [] });
  });

  it('fails clearly when asked to ask with nothing to ask', async () => {
    const r = run('nobody', { orch: planner([TWO]), ...agents }, { config: ask });
    const state = await r.handle.done;
    assert.equal(state.status, 'failed');
    assert.match(state.error ?? '', /planApproval is "ask" but nothing can ask/);
  });

  it('runs a given plan (a plan file) with no planning call', async () => {
    const plan = { rationale: 'from a file', tasks: [{ id: 'f', title: 'F', description: 'F', role: 'a', dependsOn: [] }] };
    const r = run('given', { orch: planner([TWO]), ...agents }, { plan });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.equal(r.providers.orch!.requests.length, 0);
    assert.deepEqual(state.taskOrder, ['f']);
    assert.equal(ofType(r.events(), 'plan.proposed')[0]!.source, 'file');
  });

  it('on resume, proposes the plan that was waiting for approval again, with no new planning call', async () => {
    // A session cancelled while its plan waited (the user closed the window).
    let asked!: (s: AbortSignal) => void;
    const waiting = new Promise<AbortSignal>((r) => (asked = r));
    const first = run('resume', { orch: planner([TWO]), ...agents }, { config: ask, reviewPlan: (_p, signal) => (asked(signal), new Promise<PlanReviewAnswer>(() => {})) });
    const signal = await waiting;
    first.handle.cancel('the window closed');
    assert.equal((await first.handle.done).status, 'cancelled');
    assert.equal(signal.aborted, true, 'the reviewer is told the session was cancelled');
    // A session killed while its plan waited: its log ends at plan.proposed.
    const killedDir = path.join(path.dirname(first.handle.dir), 'killed-session');
    fs.mkdirSync(killedDir);
    const lines = fs.readFileSync(path.join(first.handle.dir, 'events.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(path.join(killedDir, 'events.jsonl'), lines.slice(0, lines.findIndex((l) => l.includes('"plan.proposed"')) + 1).join('\n') + '\n');

    for (const dir of [first.handle.dir, killedDir]) {
      const providers = { orch: new ScriptedProvider('orch', () => ({ error: { code: 'bad_request', retryable: false, message: 'planning must not run again' } })), p1: new ScriptedProvider('p1', agents.p1), p2: new ScriptedProvider('p2', agents.p2) };
      const seen: PlanProposal[] = [];
      const handle = resumeSession({ dir, config: ask, deps: { workspace: first.workspace, store: new NodeFileStore(first.workspace), runner: new NodeCommandRunner(), resolve: (id) => providers[id as keyof typeof providers], reviewPlan: async (p) => (seen.push(p), { action: 'approve' }) } });
      const state = await handle.done;
      assert.equal(state.status, 'completed', state.error);
      assert.equal(providers.orch.requests.length, 0, 'no new planning call');
      assert.deepEqual(seen.map((p) => [p.proposal, p.tasks.map((t) => t.id)]), [[1, ['t1', 't2']]]);
      const events = readEvents(path.join(dir, 'events.jsonl')).events;
      assert.equal(ofType(events, 'plan.proposed').length, 1);
      assert.deepEqual(report(dir).plan, { proposals: 1, approvedBy: 'user', edited: false, feedback: [] });
    }
  });

  it('folds logs written before plans were reviewed (plan.accepted alone)', async () => {
    const workspace = tempWorkspace();
    const r = run('old', { orch: planner([TWO]), ...agents }, { workspace });
    await r.handle.done;
    const old = r.events().filter((e) => !['plan.proposed', 'plan.approved'].includes(e.type));
    const rep = buildReport(foldEvents(old));
    assert.equal(rep.status, 'completed');
    assert.deepEqual(rep.tasks.map((t) => t.id), ['t1', 't2']);
    assert.deepEqual(rep.plan, { proposals: 0, approvedBy: null, edited: false, feedback: [] });
  });
});
