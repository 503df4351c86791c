// Best of several (issue 25): candidates race in copies, the check and the price judge them, the
// winner's change is applied through the session's guard.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSession, type EngineDeps } from '../../src/core/session/session';
import { nodeWorkspace } from '../../src/node/workspace';
import type { ChatProvider, ChatRequest, WorkspaceCopier } from '../../src/core/ports';
import type { TaskSpec } from '../../src/core/events';
import { ScriptedProvider, turn, type Script, type Step } from '../helpers/scripted';
import { ofType, tempWorkspace } from '../helpers/session';
import { plainCopier } from '../helpers/copier';
import { bestOfConfig, bestOfTask, CANDIDATES, CHECK, TWO } from '../helpers/best-of';
import { reviewSession } from '../../src/core/store/review';
import { NodeFileStore } from '../../src/node/file-store';
import { planRules, validatePlan } from '../../src/core/session/plan';
import { candidatesFor } from '../../src/core/config';
import { estimateSessionCost } from '../../src/core/money/estimate';
import { pricingFor } from '../../src/core/money/pricing';
import { candidateAnswer, candidateLines, planLines } from '../../src/cli/plan';
import { ensemble } from '../helpers/cli';

const config = bestOfConfig;
const task = bestOfTask;

/** Writes `files` on its first turn, then finishes. */
function writes(files: Record<string, string>, delayMs = 0): Script {
  return (req: ChatRequest): Step =>
    turn(req) === 1
      ? { delayMs, toolCalls: Object.entries(files).map(([p, content]) => ({ name: 'write_file', arguments: { path: p, content } })) }
      : { delayMs, toolCalls: [{ name: 'finish', arguments: { summary: `wrote ${Object.keys(files).join(', ')}` } }] };
}

const orch: Script = () => ({ toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] });

function race(
  scripts: Record<string, Script>,
  opts: { workspace?: string; config?: ReturnType<typeof config>; tasks?: TaskSpec[]; deps?: Partial<EngineDeps> } = {},
) {
  const workspace = opts.workspace ?? tempWorkspace();
  const providers = Object.fromEntries(Object.entries({ orch, ...scripts }).map(([id, s]) => [id, new ScriptedProvider(id, s)]));
  const copies = plainCopier(workspace);
  const handle = startSession({
    goal: 'best of three',
    config: opts.config ?? config(),
    deps: { ...nodeWorkspace(workspace), copies, resolve: (id): ChatProvider | undefined => providers[id], ...opts.deps },
    plan: { rationale: 'r', tasks: opts.tasks ?? [task()] },
  });
  return { handle, workspace, providers, copies, events: () => handle.log.readAll() };
}

describe('best of several', function () {
  this.timeout(30_000);

  it('applies the cheapest candidate whose check passes, byte for byte, and logs the verdict', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'out.txt'), 'before\n');
    const r = race(
      { pa: writes({ 'out.txt': 'bad\n' }), pb: writes({ 'out.txt': 'good from B\n' }), pc: writes({ 'out.txt': 'good from C\r\n', 'extra.txt': 'c' }) },
      { workspace: ws },
    );
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good from C\r\n');
    assert.equal(fs.readFileSync(path.join(ws, 'extra.txt'), 'utf8'), 'c');
    const ev = r.events();
    const finished = ofType(ev, 'candidate.finished');
    assert.deepEqual(finished.map((f) => [f.candidateId, f.outcome, f.check?.exitCode]).sort(), [
      ['t1#1', 'finished', 1],
      ['t1#2', 'finished', 0],
      ['t1#3', 'finished', 0],
    ]);
    const [judged] = ofType(ev, 'candidate.judged');
    assert.equal(judged!.winner, 't1#3');
    assert.deepEqual(
      judged!.ranking.map((x) => [x.candidateId, x.passed]),
      [
        ['t1#3', true],
        ['t1#2', true],
        ['t1#1', false],
      ],
    );
    assert.match(judged!.reason, /cheapest/);
    assert.ok(judged!.ranking[0]!.costUsd! < judged!.ranking[1]!.costUsd!);
    const [chosen] = ofType(ev, 'candidate.chosen');
    assert.deepEqual([chosen!.candidateId, chosen!.by], ['t1#3', 'auto']);
    // The winner's change is the task's, once, with the winner's agent and route: reviewable and revertible.
    const written = ofType(ev, 'file.written');
    assert.deepEqual(written.map((w) => [w.path, w.change, w.provider]).sort(), [
      ['extra.txt', 'created', 'pc'],
      ['out.txt', 'modified', 'pc'],
    ]);
    const t = s.tasks.t1!;
    assert.equal(t.status, 'completed');
    assert.deepEqual([t.finishedBy?.provider, t.finishedBy?.model], ['pc', 'm-c']);
    assert.equal(t.race?.candidates.length, 3);
    assert.equal(t.race?.chosen?.candidateId, 't1#3');
    // Every candidate's calls counted, for the task and for the candidate.
    const byCand = Object.fromEntries(t.race!.candidates.map((c) => [c.candidateId, c.figures.calls]));
    assert.deepEqual(byCand, { 't1#1': 2, 't1#2': 2, 't1#3': 2 });
    assert.equal(t.figures.calls, 6);
    // No copy is left.
    for (const c of r.copies.made) assert.equal(fs.existsSync(c), false, c);
    // The review reverts the applied change to the user's exact bytes.
    const review = reviewSession(ws, r.handle.sessionId, new NodeFileStore(ws));
    assert.deepEqual(
      (await review.revertAll()).map((o) => o.ok),
      [true, true],
    );
    assert.equal(fs.existsSync(path.join(ws, 'extra.txt')), false);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'before\n');
  });

  it('refuses a candidate that writes into .git or outside its copy, and the workspace is untouched', async () => {
    const ws = tempWorkspace();
    fs.mkdirSync(path.join(ws, '.git'));
    fs.writeFileSync(path.join(ws, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    const outside = path.join(path.dirname(ws), `outside-${path.basename(ws)}.txt`);
    const sneaky: Script = (req) =>
      turn(req) === 1
        ? {
            toolCalls: [
              { name: 'write_file', arguments: { path: '.git/HEAD', content: 'hacked' } },
              { name: 'write_file', arguments: { path: `../${path.basename(outside)}`, content: 'escaped' } },
              { name: 'write_file', arguments: { path: outside, content: 'escaped' } },
              { name: 'write_file', arguments: { path: 'out.txt', content: 'good\n' } },
            ],
          }
        : { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
    const r = race({ pa: sneaky, pb: writes({ 'out.txt': 'bad\n' }) }, { workspace: ws, tasks: [task({ candidates: TWO })] });
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    assert.equal(fs.readFileSync(path.join(ws, '.git', 'HEAD'), 'utf8'), 'ref: refs/heads/main\n');
    assert.equal(fs.existsSync(outside), false);
    const refused = ofType(r.events(), 'file.refused').map((e) => [e.reason, e.taskId]);
    assert.deepEqual(refused, [
      ['protected', 't1'],
      ['outside_workspace', 't1'],
      ['outside_workspace', 't1'],
    ]);
    // Only the candidate's legitimate file reached the workspace.
    assert.deepEqual(
      s.tasks.t1!.race!.candidates.find((c) => c.candidateId === 't1#1')!.files.map((f) => f.path),
      ['out.txt'],
    );
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good\n');
  });

  it("refuses to apply over the user's edit made during the race, and keeps it", async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'out.txt'), 'before\n');
    fs.writeFileSync(path.join(ws, 'other.txt'), 'other\n');
    const r = race(
      { pa: writes({ 'out.txt': 'good A\n', 'other.txt': 'changed\n' }, 150), pb: writes({ 'out.txt': 'bad\n' }, 150) },
      { workspace: ws, tasks: [task({ candidates: TWO })] },
    );
    let copied = 0;
    const sub = r.handle.log.onDidAppend((e) => {
      if (e.type === 'candidate.copied' && ++copied === 2) {
        sub.dispose();
        fs.writeFileSync(path.join(ws, 'out.txt'), 'the user typed this\n');
      }
    });
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'the user typed this\n');
    // The rest of the winner's change is applied.
    assert.equal(fs.readFileSync(path.join(ws, 'other.txt'), 'utf8'), 'changed\n');
    const refused = ofType(r.events(), 'file.refused');
    assert.deepEqual(
      refused.map((e) => [e.path, e.reason]),
      [['out.txt', 'conflict']],
    );
    assert.match(refused[0]!.message, /changed in the workspace since the candidates started/);
    assert.match(s.tasks.t1!.summary!, /not applied.*out\.txt/);
  });

  it('escalates when no candidate passes, with each check summarised', async () => {
    const ws = tempWorkspace();
    const r = race({ pa: writes({ 'out.txt': 'bad A\n' }), pb: writes({ 'out.txt': 'bad B\n' }) }, { workspace: ws, tasks: [task({ candidates: TWO })] });
    const s = await r.handle.done;
    const [esc] = ofType(r.events(), 'task.escalated');
    assert.ok(esc, 'escalated');
    assert.match(esc!.reason, /no candidate passed the check/);
    assert.match(esc!.reason, /t1#1 \(pa\/m-a\): check `node -e .*` exited 1/);
    assert.match(esc!.reason, /t1#2 \(pb\/m-b\)/);
    const [judged] = ofType(r.events(), 'candidate.judged');
    assert.equal(judged!.winner, null);
    // Nothing of theirs reached the workspace; the orchestrator decided (here: finished without writing).
    assert.equal(fs.existsSync(path.join(ws, 'out.txt')), false);
    assert.equal(s.tasks.t1!.race!.chosen?.candidateId, null);
  });

  it('cancelling mid-race stops every candidate and leaves no copy', async () => {
    const ws = tempWorkspace();
    const r = race({ pa: () => ({ hang: true }), pb: () => ({ hang: true }), pc: () => ({ hang: true }) }, { workspace: ws });
    let started = 0;
    await new Promise<void>((resolve) => {
      const sub = r.handle.log.onDidAppend((e) => {
        if (e.type === 'llm.request' && e.taskId === 't1' && ++started === 3) {
          sub.dispose();
          resolve();
        }
      });
    });
    r.handle.cancel('stop it');
    const s = await r.handle.done;
    assert.equal(s.status, 'cancelled');
    assert.equal(r.copies.made.length, 3);
    for (const c of r.copies.made) assert.equal(fs.existsSync(c), false, c);
    assert.deepEqual(
      s.tasks.t1!.race!.candidates.map((c) => c.status),
      ['cancelled', 'cancelled', 'cancelled'],
    );
  });

  it('Stop Task stops every candidate: the task goes to the orchestrator and no copy is left', async () => {
    const ws = tempWorkspace();
    const r = race({ pa: () => ({ hang: true }), pb: () => ({ hang: true }) }, { workspace: ws, tasks: [task({ candidates: TWO })] });
    await new Promise<void>((resolve) => {
      let n = 0;
      const sub = r.handle.log.onDidAppend((e) => {
        if (e.type === 'llm.request' && e.taskId === 't1' && ++n === 2) {
          sub.dispose();
          resolve();
        }
      });
    });
    r.handle.stopTask('t1');
    const s = await r.handle.done;
    const ev = r.events();
    assert.deepEqual(
      ofType(ev, 'task.escalated').map((e) => e.reason),
      ['stopped by the user'],
    );
    assert.deepEqual(
      ofType(ev, 'candidate.finished').map((e) => e.outcome),
      ['cancelled', 'cancelled'],
    );
    for (const c of r.copies.made) assert.equal(fs.existsSync(c), false, c);
    assert.equal(s.tasks.t1!.status, 'completed'); // the orchestrator finished it itself
  });

  it('with candidateApproval "ask" applies the candidate the user picks', async () => {
    const ws = tempWorkspace();
    const asked: unknown[] = [];
    const r = race(
      { pa: writes({ 'out.txt': 'bad\n' }), pb: writes({ 'out.txt': 'good B\n' }), pc: writes({ 'out.txt': 'good C\n' }) },
      {
        workspace: ws,
        config: config({ candidateApproval: 'ask' }),
        deps: {
          chooseCandidate: async (q) => {
            asked.push(q);
            return 't1#2';
          },
        },
      },
    );
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good B\n');
    assert.equal(asked.length, 1);
    const q = asked[0] as { recommended: string; candidates: { candidateId: string; passed: boolean }[] };
    assert.equal(q.recommended, 't1#3');
    assert.deepEqual(
      q.candidates.map((c) => [c.candidateId, c.passed]),
      [
        ['t1#3', true],
        ['t1#2', true],
        ['t1#1', false],
      ],
    );
    const [chosen] = ofType(r.events(), 'candidate.chosen');
    assert.deepEqual([chosen!.candidateId, chosen!.by], ['t1#2', 'user']);
  });

  it("does not count what the check writes as the candidate's change", async () => {
    const ws = tempWorkspace();
    const check = `${CHECK} && node -e "require('fs').writeFileSync('check-output.txt','x')"`;
    const r = race({ pa: writes({ 'out.txt': 'good A\n' }), pb: writes({ 'out.txt': 'bad\n' }) }, { workspace: ws, tasks: [task({ check, candidates: TWO })] });
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    assert.deepEqual(
      s.tasks.t1!.race!.candidates.map((c) => c.files.map((f) => f.path)),
      [['out.txt'], ['out.txt']],
    );
    assert.equal(fs.existsSync(path.join(ws, 'check-output.txt')), false);
    // The check is logged as its candidate's command, allowed by the policy for this purpose.
    const decided = ofType(r.events(), 'command.decided');
    assert.deepEqual(
      decided.map((d) => [d.decision, d.by]),
      [
        ['allowed', 'policy'],
        ['allowed', 'policy'],
      ],
    );
  });

  it('asks before the check where no sandbox confines it, and a denied check does not pass', async () => {
    const ws = tempWorkspace();
    const asked: string[] = [];
    const r = race(
      { pa: writes({ 'out.txt': 'good A\n' }), pb: writes({ 'out.txt': 'good B\n' }) },
      {
        workspace: ws,
        tasks: [task({ candidates: TWO })],
        deps: {
          sandbox: undefined,
          approveCommand: async (req) => {
            asked.push(`${req.taskId}:${req.command}`);
            return req.agentId === ofType(r.events(), 'candidate.started').find((c) => c.candidateId === 't1#2')?.agentId ? 'once' : 'deny';
          },
        },
      },
    );
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    assert.deepEqual(asked, [`t1:${CHECK}`, `t1:${CHECK}`]);
    const byId = Object.fromEntries(s.tasks.t1!.race!.candidates.map((c) => [c.candidateId, c.check]));
    assert.equal(byId['t1#1']!.exitCode, null);
    assert.match(byId['t1#1']!.outputTail, /not run: you denied it/);
    assert.equal(byId['t1#2']!.exitCode, 0);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good B\n');
  });

  it("makes a candidate's copy while its model answers the first turn; a copy that cannot be made fails that candidate only", async () => {
    const ws = tempWorkspace();
    const plain = plainCopier(ws);
    let n = 0;
    const slow: WorkspaceCopier = {
      sweep: () => plain.sweep(),
      create: async (name, signal) => {
        if (++n === 2) throw new Error('no room for a copy here');
        await new Promise((res) => setTimeout(res, 300));
        return plain.create(name, signal);
      },
    };
    const r = race(
      { pa: writes({ 'out.txt': 'good A\n' }), pb: writes({ 'out.txt': 'good B\n' }) },
      { workspace: ws, tasks: [task({ candidates: TWO })], deps: { copies: slow } },
    );
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    const ev = r.events();
    const agentOf = (id: string) => ofType(ev, 'candidate.started').find((c) => c.candidateId === id)!.agentId;
    const seqOf = (pred: (e: (typeof ev)[number]) => boolean) => ev.find(pred)!.seq;
    const a = agentOf('t1#1');
    // The first request went out before the copy was there; the first tool ran after it.
    const copied = seqOf((e) => e.type === 'candidate.copied' && e.candidateId === 't1#1');
    assert.equal(seqOf((e) => e.type === 'llm.request' && e.agentId === a) < copied, true, 'the first request before the copy was there');
    assert.equal(seqOf((e) => e.type === 'tool.result' && e.agentId === a) > copied, true, 'the first tool ran once it was');
    const failed = ofType(ev, 'candidate.finished').find((f) => f.candidateId === 't1#2')!;
    assert.deepEqual([failed.outcome, failed.error], ['failed', 'no room for a copy here']);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good A\n');
  });

  it('reserves every candidate against the budget: when it runs out the race stops and no copy is left', async () => {
    const ws = tempWorkspace();
    // pb's calls cost ~$0.15 each; the cap allows one.
    const r = race(
      { pa: writes({ 'out.txt': 'good A\n' }, 50), pb: writes({ 'out.txt': 'good B\n' }, 50) },
      { workspace: ws, config: config({ budgetUsd: 0.2, maxOutputTokens: 50 }), tasks: [task({ candidates: TWO })] },
    );
    const s = await r.handle.done;
    assert.equal(s.status, 'budget_exhausted', s.error);
    assert.equal(s.budget.exhausted, true);
    assert.equal(fs.existsSync(path.join(ws, 'out.txt')), false);
    for (const c of r.copies.made) assert.equal(fs.existsSync(c), false, c);
    assert.ok(s.money.chargedUsd <= 0.2 + 1e-9, `charged ${s.money.chargedUsd}`);
  });

  it('counts each candidate against maxConcurrency', async () => {
    const ws = tempWorkspace();
    const r = race(
      { pa: writes({ 'out.txt': 'good A\n' }, 60), pb: writes({ 'out.txt': 'good B\n' }, 60), pc: writes({ 'out.txt': 'good C\n' }, 60) },
      { workspace: ws, config: config({ maxConcurrency: 2 }) },
    );
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    let now = 0;
    let most = 0;
    for (const e of r.events()) {
      if (e.type === 'candidate.started') most = Math.max(most, ++now);
      if (e.type === 'candidate.finished') now--;
    }
    assert.equal(most, 2);
  });

  describe('copies made ahead', () => {
    /** A session the orchestrator plans (`plan`: the tasks it submits), recording each `prepare` and what had happened by then. */
    function planned(plan: TaskSpec[], opts: { config?: ReturnType<typeof config>; review?: boolean } = {}) {
      const workspace = tempWorkspace();
      const prepared: { count: number; orchestratorCalls: number; reviewed: boolean }[] = [];
      let orchestratorCalls = 0;
      let reviewed = false;
      let atFirstCall: number[] | undefined;
      const planner: Script = (req) => {
        atFirstCall ??= prepared.map((p) => p.count);
        orchestratorCalls++;
        return req.tools?.some((t) => t.name === 'submit_plan')
          ? { toolCalls: [{ name: 'submit_plan', arguments: { rationale: 'r', tasks: plan } }] }
          : { toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] };
      };
      const providers = Object.fromEntries(
        Object.entries({ orch: planner, p1: writes({ 'one.txt': '1' }), pa: writes({ 'out.txt': 'good A\n' }), pb: writes({ 'out.txt': 'good B\n' }) }).map(([id, s]) => [
          id,
          new ScriptedProvider(id, s),
        ]),
      );
      const copies: WorkspaceCopier = { ...plainCopier(workspace), prepare: (count) => void prepared.push({ count, orchestratorCalls, reviewed }) };
      const handle = startSession({
        goal: 'plan it',
        config: opts.config ?? config(),
        deps: {
          ...nodeWorkspace(workspace),
          copies,
          resolve: (id): ChatProvider | undefined => providers[id],
          ...(opts.review ? { reviewPlan: async () => ((reviewed = true), { action: 'approve' as const }) } : {}),
        },
      });
      return { handle, prepared, firstCall: () => atFirstCall };
    }

    it('when the configuration asks for races, the copies are started before the orchestrator is asked for a plan', async () => {
      const r = planned([task({ candidates: undefined, role: 'a' })], { config: config({ roles: { a: { provider: 'p1', model: 'm-1', bestOf: TWO }, b: { provider: 'p2', model: 'm-2' } } }) });
      const s = await r.handle.done;
      assert.equal(s.status, 'completed', s.error);
      assert.deepEqual(r.firstCall(), [2], 'two copies were being made when the orchestrator was first asked');
    });

    it("when the plan asks for a race, the copies are started as it is proposed, before the user's review; a plan without races starts none", async () => {
      const r = planned([task({ candidates: TWO })], { config: config({ planApproval: 'ask' }), review: true });
      const s = await r.handle.done;
      assert.equal(s.status, 'completed', s.error);
      assert.deepEqual(r.firstCall(), [], 'the configuration asks for no race');
      assert.deepEqual(r.prepared[0], { count: 2, orchestratorCalls: 1, reviewed: false });

      const none = planned([task({ candidates: undefined, role: 'a', id: 'one', check: undefined })], { config: config({ bestOf: 2 }) });
      const s2 = await none.handle.done;
      assert.equal(s2.status, 'completed', s2.error);
      assert.deepEqual(none.firstCall(), [2], '--best-of 2 foresees a race for a task with a check');
      assert.deepEqual(
        none.prepared.map((p) => p.count),
        [2],
        'the plan has no task with a check: nothing more is asked for, at the proposal or at development',
      );
    });
  });
});

describe('best of several: asking for it', () => {
  it('refuses a plan whose task has candidates but no check, at its line', () => {
    const cfg = config();
    const bad = validatePlan({ rationale: 'r', tasks: [task({ check: undefined })] }, planRules(cfg));
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.issues.some((i) => i.field === 'check' && i.task === 0 && /no check/.test(i.message)));
    const one = validatePlan({ rationale: 'r', tasks: [task({ candidates: CANDIDATES.slice(0, 1) })] }, planRules(cfg));
    assert.ok(!one.ok && one.errors.some((e) => /1 candidates: give 2 to 4/.test(e)));
    const unknown = validatePlan(
      { rationale: 'r', tasks: [task({ candidates: [...CANDIDATES.slice(0, 1), { provider: 'nope', model: 'x' }] })] },
      planRules(cfg),
    );
    assert.ok(!unknown.ok && unknown.errors.some((e) => /provider "nope", which is not configured/.test(e)));
    const twice = validatePlan({ rationale: 'r', tasks: [task({ candidates: [CANDIDATES[0]!, CANDIDATES[0]!] })] }, planRules(cfg));
    assert.ok(!twice.ok && twice.errors.some((e) => /twice/.test(e)));
    assert.equal(validatePlan({ rationale: 'r', tasks: [task()] }, planRules(cfg)).ok, true);
  });

  it("a role's bestOf needs a check on each of its tasks, and --best-of N takes the first N providers for tasks with one", async () => {
    const cfg = config({ roles: { a: { provider: 'p1', model: 'm-1', bestOf: TWO }, b: { provider: 'p2', model: 'm-2' } } });
    const noCheck = validatePlan({ rationale: 'r', tasks: [task({ candidates: undefined, check: undefined })] }, planRules(cfg));
    assert.ok(!noCheck.ok && noCheck.errors.some((e) => /role "a" has bestOf/.test(e)));
    assert.deepEqual(candidatesFor({ role: 'a', check: 'npm test' }, cfg), TWO);
    const n = config({ bestOf: 3 });
    assert.deepEqual(candidatesFor({ role: 'b', check: 'npm test' }, n), [
      { provider: 'p2', model: 'm-2' },
      { provider: 'orch', model: 'o-1' },
      { provider: 'p1', model: 'm-1' },
    ]);
    assert.equal(candidatesFor({ role: 'b' }, n), undefined);
  });

  it('the estimate counts each candidate', () => {
    const cfg = config();
    const one = estimateSessionCost([task({ candidates: undefined })], cfg).estimateUsd!;
    const three = estimateSessionCost([task()], cfg).estimateUsd!;
    const p = pricingFor(cfg);
    const per = (r: { provider: string; model: string }) => 6 * p.cost(r, { input: 6000, output: 1500 })!;
    assert.equal(one, Math.round(per({ provider: 'p1', model: 'm-1' }) * 1e4) / 1e4);
    assert.equal(three, Math.round(CANDIDATES.reduce((n, c) => n + per(c), 0) * 1e4) / 1e4);
  });

  it('the terminal shows a best-of task with its candidates and check', () => {
    const lines = planLines({
      proposal: 1,
      rationale: 'r',
      tasks: [task()],
      roles: ['a'],
      routes: { t1: { provider: 'p1', model: 'm-1', candidates: CANDIDATES } },
      estimateUsd: 0.5,
      unknownModels: [],
      errors: [],
    });
    assert.ok(lines.includes(`     best of pa/m-a, pb/m-b, pc/m-c, judged by \`${CHECK}\``), lines.join('\n'));
  });

  it('ensemble run --best-of takes 2 to 4, and says so otherwise (exit 2)', async function () {
    this.timeout(20_000);
    const ws = tempWorkspace();
    const r = await ensemble(['run', '--goal', 'x', '--workspace', ws, '--best-of', '5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--best-of needs a whole number from 2 to 4 .* not "5"/);
  });

  it('with candidateApproval "ask" the terminal lists the candidates, the verdict first, and reads a number, none, or Enter', () => {
    const q = {
      taskId: 't1',
      title: 'Write out.txt',
      round: 1,
      recommended: 't1#3',
      reason: 'passed, cheapest of 2 that passed',
      candidates: [
        { candidateId: 't1#3', provider: 'pc', model: 'm-c', passed: true, costUsd: 0.00004, files: 1, lines: 2 },
        { candidateId: 't1#2', provider: 'pb', model: 'm-b', passed: true, costUsd: null, files: 2, lines: 5 },
      ],
    };
    assert.deepEqual(candidateLines(q), [
      "Task t1 (Write out.txt): which candidate's changes to apply?",
      '  1. t1#3 pc/m-c: check passed, $0.0000, 2 lines in 1 file (recommended)',
      '  2. t1#2 pb/m-b: check passed, unknown cost, 5 lines in 2 files',
      '  verdict: t1#3 — passed, cheapest of 2 that passed',
    ]);
    assert.deepEqual(
      ['', '2', 'none', '3', 'x'].map((a) => candidateAnswer(q, a)),
      ['t1#3', 't1#2', null, undefined, undefined],
    );
  });
});
