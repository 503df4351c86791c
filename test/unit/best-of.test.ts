// Best of several (issue 25): candidates race in copies, the check and the price judge them, the
// winner's change is applied through the session's guard.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startSession, type EngineDeps } from '../../src/core/session/session';
import { nodeWorkspace } from '../../src/node/workspace';
import type { ChatProvider, ChatRequest } from '../../src/core/ports';
import type { TaskSpec } from '../../src/core/events';
import { ScriptedProvider, turn, type Script, type Step } from '../helpers/scripted';
import { ofType, tempWorkspace, testConfig } from '../helpers/session';
import { plainCopier } from '../helpers/copier';
import { reviewSession } from '../../src/core/store/review';
import { NodeFileStore } from '../../src/node/file-store';

const CHECK = `node -e "process.exit(require('fs').readFileSync('out.txt','utf8').startsWith('good')?0:1)"`;

function config(extra: Record<string, unknown> = {}) {
  return testConfig({
    providers: {
      orch: { kind: 'openai-compatible' },
      p1: { kind: 'openai-compatible' },
      p2: { kind: 'openai-compatible' },
      pa: { kind: 'openai-compatible' },
      pb: { kind: 'openai-compatible' },
      pc: { kind: 'openai-compatible' },
    },
    pricing: {
      'orch/o-1': { input: 1, output: 2 },
      'p1/m-1': { input: 1, output: 2 },
      'p2/m-2': { input: 1, output: 2 },
      'pa/m-a': { input: 0.1, output: 0.1 },
      'pb/m-b': { input: 1000, output: 1000 },
      'pc/m-c': { input: 0.1, output: 0.2 },
    },
    ...extra,
  });
}

const CANDIDATES = [
  { provider: 'pa', model: 'm-a' },
  { provider: 'pb', model: 'm-b' },
  { provider: 'pc', model: 'm-c' },
];

function task(extra: Partial<TaskSpec> = {}): TaskSpec {
  return { id: 't1', title: 'Write out.txt', description: 'Write out.txt', role: 'a', dependsOn: [], check: CHECK, candidates: CANDIDATES, ...extra };
}

/** Writes `files` on its first turn, then finishes. */
function writes(files: Record<string, string>, delayMs = 0): Script {
  return (req: ChatRequest): Step =>
    turn(req) === 1
      ? { delayMs, toolCalls: Object.entries(files).map(([p, content]) => ({ name: 'write_file', arguments: { path: p, content } })) }
      : { delayMs, toolCalls: [{ name: 'finish', arguments: { summary: `wrote ${Object.keys(files).join(', ')}` } }] };
}

const orch: Script = () => ({ toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] });

function race(scripts: Record<string, Script>, opts: { workspace?: string; config?: ReturnType<typeof config>; tasks?: TaskSpec[]; deps?: Partial<EngineDeps> } = {}) {
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
    const r = race({ pa: writes({ 'out.txt': 'bad\n' }), pb: writes({ 'out.txt': 'good from B\n' }), pc: writes({ 'out.txt': 'good from C\r\n', 'extra.txt': 'c' }) }, { workspace: ws });
    const s = await r.handle.done;
    assert.equal(s.status, 'completed', s.error);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'good from C\r\n');
    assert.equal(fs.readFileSync(path.join(ws, 'extra.txt'), 'utf8'), 'c');
    const ev = r.events();
    const finished = ofType(ev, 'candidate.finished');
    assert.deepEqual(
      finished.map((f) => [f.candidateId, f.outcome, f.check?.exitCode]).sort(),
      [
        ['t1#1', 'finished', 1],
        ['t1#2', 'finished', 0],
        ['t1#3', 'finished', 0],
      ],
    );
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
    assert.deepEqual((await review.revertAll()).map((o) => o.ok), [true, true]);
    assert.equal(fs.existsSync(path.join(ws, 'extra.txt')), false);
    assert.equal(fs.readFileSync(path.join(ws, 'out.txt'), 'utf8'), 'before\n');
  });
});
