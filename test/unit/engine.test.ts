// The engine, driven through its ports by scripted providers: plan, parallel DAG, retries, provider
// switch, escalation, conflicts, refusals, cancel and budget.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conv, planStep, turn, writesThenFinishes, type Step } from '../helpers/scripted';
import { ofType, run, testConfig, untilRequests } from '../helpers/session';
import type { ChatRequest } from '../../src/core/ports';

const orchestrator = (tasks: Parameters<typeof planStep>[0], escalation?: (req: ChatRequest) => Step) => (req: ChatRequest): Step =>
  conv(req) === 'plan' ? planStep(tasks) : escalation ? escalation(req) : { error: { code: 'bad_request', retryable: false, message: `unexpected ${req.trace}` } };

describe('engine', () => {
  it('runs a diamond DAG with the middle tasks in parallel and the last after both', async () => {
    const r = run('diamond', {
      orch: orchestrator([
        { id: 'top', role: 'a' },
        { id: 'left', role: 'a', dependsOn: ['top'] },
        { id: 'right', role: 'b', dependsOn: ['top'] },
        { id: 'bottom', role: 'b', dependsOn: ['left', 'right'] },
      ]),
      p1: (req) => writesThenFinishes({ [`${conv(req).slice(5)}.txt`]: conv(req) }, 60)(req),
      p2: (req) => writesThenFinishes({ [`${conv(req).slice(5)}.txt`]: conv(req) }, 60)(req),
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const ev = r.events();
    const at = (type: 'task.started' | 'task.completed', id: string) => ev.findIndex((e) => e.type === type && e.taskId === id);
    // left and right both started before either completed: they ran at the same time.
    assert.ok(at('task.started', 'left') < at('task.completed', 'right'));
    assert.ok(at('task.started', 'right') < at('task.completed', 'left'));
    // top before both, bottom after both.
    assert.ok(at('task.completed', 'top') < at('task.started', 'left'));
    assert.ok(at('task.started', 'bottom') > Math.max(at('task.completed', 'left'), at('task.completed', 'right')));
    for (const f of ['top', 'left', 'right', 'bottom']) assert.equal(fs.readFileSync(path.join(r.workspace, `${f}.txt`), 'utf8'), `task/${f}`);
    const report = JSON.parse(fs.readFileSync(path.join(r.handle.dir, 'report.json'), 'utf8'));
    assert.equal(report.status, 'completed');
    assert.deepEqual(report.phases.map((p: { name: string }) => p.name), ['setup', 'planning', 'development', 'integration', 'validation', 'report']);
    assert.equal(report.files.length, 4);
  });

  it('retries a 429 storm on the same provider, honouring retry-after, without switching', async () => {
    const seen = new Map<string, number>();
    const r = run('storm', {
      orch: orchestrator([{ id: 't1', role: 'a' }, { id: 't2', role: 'a' }]),
      p1: (req) => {
        const n = (seen.get(req.trace!) ?? 0) + 1;
        seen.set(req.trace!, n);
        return n <= 2 ? { error: { code: 'rate_limit', status: 429, retryable: true, retryAfterMs: 15 } } : writesThenFinishes({ [`${conv(req).slice(5)}.txt`]: 'ok' })(req);
      },
      p2: () => ({ error: { code: 'bad_request', retryable: false } }),
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const ev = r.events();
    assert.equal(ofType(ev, 'llm.error').length, 8); // 2 failures before each of 4 turns
    assert.ok(ofType(ev, 'llm.error').every((e) => e.status === 429 && e.retryAfterMs === 15));
    assert.equal(ofType(ev, 'provider.switched').length, 0);
    assert.equal(r.providers.p2!.requests.length, 0);
  });

  it('switches to the fallback provider when one is down, carrying the conversation', async () => {
    const config = testConfig({ roles: { a: { provider: 'p1', model: 'm-1', fallback: { provider: 'p2', model: 'm-2' } } } });
    const r = run('switch', {
      orch: orchestrator([{ id: 'ui', role: 'a' }]),
      p1: (req) => (turn(req) === 1 ? writesThenFinishes({ 'a.txt': 'from p1' })(req) : { error: { code: 'server', status: 503, retryable: true } }),
      p2: (req) => writesThenFinishes({ 'b.txt': 'from p2' })({ ...req, trace: 'x#2' }),
    }, { config });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const sw = ofType(r.events(), 'provider.switched');
    assert.equal(sw.length, 1);
    assert.deepEqual([sw[0]!.from, sw[0]!.to], [{ provider: 'p1', model: 'm-1' }, { provider: 'p2', model: 'm-2' }]);
    // p2 received the conversation so far: the first turn's write and its result.
    const sent = r.providers.p2!.requests[0]!.messages;
    assert.ok(sent.some((m) => m.role === 'tool' && m.content.includes('Wrote a.txt')));
    assert.equal(state.files['a.txt']!.provider, 'p1');
    assert.equal(state.tasks.ui!.provider, 'p2');
  });

  it('escalates an agent that never succeeds; the orchestrator finishes the task itself', async () => {
    const r = run('escalate', {
      orch: orchestrator([{ id: 'qa', role: 'a' }], (req) => writesThenFinishes({ 'test.js': 'by the orchestrator' })(req)),
      p1: () => ({ text: 'I would write tests like this…' }),
      p2: () => ({ error: { code: 'auth', status: 401, retryable: false } }),
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    assert.equal(state.escalations.length, 1);
    assert.match(state.escalations[0]!.reason, /stopped using its tools/);
    assert.equal(state.tasks.qa!.status, 'completed');
    assert.equal(fs.readFileSync(path.join(r.workspace, 'test.js'), 'utf8'), 'by the orchestrator');
    assert.equal(state.files['test.js']!.role, 'orchestrator');
    assert.ok(state.decisions.some((d) => d.kind === 'escalate' && /completed/.test(d.summary)));
  });

  it('lets the orchestrator skip an escalated task and tells its dependants', async () => {
    const r = run('skip', {
      orch: orchestrator([{ id: 'x', role: 'a' }, { id: 'y', role: 'b', dependsOn: ['x'] }], () => ({ toolCalls: [{ name: 'skip_task', arguments: { taskId: 'x', reason: 'not needed' } }] })),
      p1: () => ({ error: { code: 'bad_request', status: 400, retryable: false } }),
      p2: writesThenFinishes({ 'y.txt': 'y' }),
    });
    const state = await r.handle.done;
    assert.equal(state.tasks.x!.status, 'skipped');
    const decider = Object.values(state.agents).find((a) => a.role === 'orchestrator' && a.taskId === 'x');
    assert.equal(decider?.status, 'COMPLETED'); // its decision made, it is not left ACTIVE
    assert.equal(state.tasks.y!.status, 'completed');
    assert.match(r.providers.p2!.requests[0]!.messages[0]!.content as string, /Skipped tasks[\s\S]*x: Task x \(skipped: not needed\)/);
  });

  it('refuses to overwrite a file the user edited mid-session, and keeps the user version', async () => {
    let workspace = '';
    const r = run('conflict', {
      orch: orchestrator([{ id: 'w', role: 'a' }]),
      p1: (req) => {
        if (turn(req) === 1) return { toolCalls: [{ name: 'write_file', arguments: { path: 'notes.md', content: 'agent v1' } }] };
        if (turn(req) === 2) {
          fs.writeFileSync(path.join(workspace, 'notes.md'), 'user edit'); // the user edits while the agent works
          return { toolCalls: [{ name: 'write_file', arguments: { path: 'notes.md', content: 'agent v2' } }] };
        }
        return { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
      },
      p2: () => ({ hang: true }),
    });
    workspace = r.workspace;
    const state = await r.handle.done;
    assert.equal(fs.readFileSync(path.join(r.workspace, 'notes.md'), 'utf8'), 'user edit');
    const refused = ofType(r.events(), 'file.refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.reason, 'conflict');
    // The model was told.
    const third = r.providers.p1!.requests[2]!.messages.at(-1)!;
    assert.equal(third.role, 'tool');
    assert.match(third.content, /changed on disk/);
    assert.equal(state.status, 'completed');
  });

  it('refuses writes outside the workspace and into .ensemble, tells the model, and goes on', async () => {
    const r = run('escape', {
      orch: orchestrator([{ id: 'e', role: 'a' }]),
      p1: (req) =>
        turn(req) === 1
          ? { toolCalls: [{ name: 'write_file', arguments: { path: '../evil.txt', content: 'x' } }, { name: 'write_file', arguments: { path: '/tmp/abs-evil.txt', content: 'x' } }, { name: 'write_file', arguments: { path: '.ensemble/x', content: 'x' } }, { name: 'write_file', arguments: { path: 'ok.txt', content: 'fine' } }] }
          : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      p2: () => ({ hang: true }),
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    assert.deepEqual(ofType(r.events(), 'file.refused').map((e) => e.reason), ['outside_workspace', 'outside_workspace', 'protected']);
    assert.equal(fs.existsSync(path.join(r.workspace, '..', 'evil.txt')), false);
    assert.equal(fs.existsSync('/tmp/abs-evil.txt'), false);
    assert.equal(fs.readFileSync(path.join(r.workspace, 'ok.txt'), 'utf8'), 'fine');
    const results = r.providers.p1!.requests[1]!.messages.filter((m) => m.role === 'tool');
    assert.equal(results.filter((m) => m.role === 'tool' && m.isError).length, 3);
  });

  it('repairs an invalid plan once, showing the model the exact errors', async () => {
    let attempt = 0;
    const r = run('repair', {
      orch: (req) => {
        if (conv(req) !== 'plan') return { hang: true };
        attempt++;
        return attempt === 1 ? planStep([{ id: 'a1', role: 'designer' }, { id: 'b1', role: 'a', dependsOn: ['c1'] }, { id: 'c1', role: 'a', dependsOn: ['b1'] }]) : planStep([{ id: 'a1', role: 'a' }]);
      },
      p1: writesThenFinishes({ 'a.txt': 'a' }),
      p2: () => ({ hang: true }),
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const rejected = ofType(r.events(), 'plan.rejected');
    assert.equal(rejected.length, 1);
    const errors = rejected[0]!.errors.join('\n');
    assert.match(errors, /role "designer", which is not configured/);
    assert.match(errors, /cycle: (b1 → c1 → b1|c1 → b1 → c1)/);
    // The tool itself tells the model which roles exist.
    const plan = r.providers.orch!.requests[0]!.tools.find((t) => t.name === 'submit_plan')!;
    const roleSchema = (plan.parameters.properties.tasks as { items: { properties: { role: { enum?: string[] } } } }).items.properties.role;
    assert.deepEqual(roleSchema.enum, ['a', 'b']);
    const repairPrompt = r.providers.orch!.requests[1]!.messages.at(-1)!;
    assert.equal(repairPrompt.role, 'tool');
    assert.match(repairPrompt.content, /designer/);
  });

  it('fails clearly when the plan is invalid twice', async () => {
    const r = run('bad plans', { orch: () => planStep([{ id: 'a1', role: 'nobody' }]), p1: () => ({ hang: true }), p2: () => ({ hang: true }) });
    const state = await r.handle.done;
    assert.equal(state.status, 'failed');
    assert.match(state.error!, /invalid twice/);
    assert.equal(ofType(r.events(), 'plan.rejected').length, 2);
  });

  it('cancels: every in-flight request is aborted within a second and the session ends cancelled', async () => {
    const r = run('cancel', {
      orch: orchestrator([{ id: 'h1', role: 'a' }, { id: 'h2', role: 'b' }]),
      p1: () => ({ hang: true }),
      p2: () => ({ hang: true }),
    });
    await untilRequests(r, 3);
    const t0 = Date.now();
    r.handle.cancel();
    const state = await r.handle.done;
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    assert.equal(state.status, 'cancelled');
    assert.ok(fs.existsSync(path.join(r.handle.dir, 'report.md')));
  });

  it('holds a hard budget with agents in parallel: reservations stop new calls before the cap is crossed', async () => {
    // Each call may cost up to (prompt/3 + 1000 output) tokens at $1/$2 per M: the cap allows only a few.
    const config = testConfig({ budgetUsd: 0.012, maxOutputTokens: 1000, roles: { a: { provider: 'p1', model: 'm-1' }, b: { provider: 'p2', model: 'm-2' } } });
    const busy = (req: ChatRequest): Step => ({ delayMs: 20, usage: { input: 900, output: 900 }, toolCalls: [{ name: 'list_files', arguments: {} }], ...(turn(req) > 50 ? {} : {}) });
    const r = run('budget', { orch: orchestrator([{ id: 'x1', role: 'a' }, { id: 'x2', role: 'b' }, { id: 'x3', role: 'a' }]), p1: busy, p2: busy }, { config });
    const state = await r.handle.done;
    assert.equal(state.status, 'budget_exhausted');
    const spent = ofType(r.events(), 'llm.response').reduce((a, e) => a + (e.costUsd ?? 0), 0);
    assert.ok(spent <= 0.012, `spent ${spent}`);
    assert.ok(spent > 0.005, `spent only ${spent}: the cap should have allowed several calls`);
    assert.equal(ofType(r.events(), 'budget.exhausted').length, 1);
  });

  it('coalesces streamed text: one log event for many tokens, the text intact', async () => {
    const tokens = Array.from({ length: 500 }, (_, i) => `t${i} `);
    const r = run('chatty', {
      orch: orchestrator([{ id: 'talk', role: 'a' }]),
      p1: (req) => (turn(req) === 1 ? { text: '', toolCalls: [{ name: 'list_files', arguments: {} }] } : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }),
      p2: () => ({ hang: true }),
    });
    // Swap p1 for a provider that streams its first answer token by token.
    const inner = r.providers.p1!;
    const chat = inner.chat.bind(inner);
    inner.chat = async function* (req, signal) {
      if (turn(req) === 1) for (const t of tokens) yield { type: 'text' as const, text: t };
      yield* chat(req, signal);
    };
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const texts = ofType(r.events(), 'agent.text');
    assert.ok(texts.length >= 1 && texts.length <= 2, `${texts.length} text events for 500 tokens`);
    assert.equal(texts.map((e) => e.text).join(''), tokens.join(''));
  });
});

