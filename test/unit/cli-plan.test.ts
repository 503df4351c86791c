// `ensemble plan` → edit the plan file → `ensemble run --plan FILE`, as separate processes against a
// local OpenAI wire fake through the real SDK; a bad plan file is refused before any model is called;
// and the terminal's approve / replan / cancel.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { startFakeServer } from '../../src/fakes';
import type { FakeRequest, FakeServer } from '../../src/fakes/script';
import { terminalReviewer } from '../../src/cli/plan';
import type { PlanProposal } from '../../src/core/ports';
import { tempWorkspace } from '../helpers/tmp';
import { ensemble } from '../helpers/cli';

const task = (id: string, role: string, dependsOn: string[] = []) => ({ id, title: `Task ${id}`, description: `Write ${id}.txt`, role, dependsOn, rationale: `${role} owns ${id}` });
const PLAN = { rationale: 'split by role', tasks: [task('api', 'dev'), task('tests', 'qa', ['api'])] };

/** The orchestrator plans PLAN; an agent writes `<task>.txt` then finishes. */
function handler(req: FakeRequest) {
  const trace = req.trace ?? '';
  if (trace.startsWith('plan#')) return { kind: 'reply' as const, toolCalls: [{ name: 'submit_plan', arguments: PLAN }] };
  const id = /^task\/([^#]+)#(\d+)$/.exec(trace);
  if (id && id[2] === '1') return { kind: 'reply' as const, toolCalls: [{ name: 'write_file', arguments: { path: `${id[1]}.txt`, content: `${id[1]} done` } }] };
  if (id) return { kind: 'reply' as const, toolCalls: [{ name: 'finish', arguments: { summary: `wrote ${id[1]}.txt` } }] };
  return { kind: 'error' as const, status: 400, message: `unexpected ${trace}` };
}

describe('cli: plan files', function () {
  this.timeout(60_000);
  let fake: FakeServer;
  let env: NodeJS.ProcessEnv;
  let config: string;

  before(async () => {
    fake = await startFakeServer('openai', handler);
    env = { OPENAI_API_KEY: 'sk-test-plan-files', OPENAI_BASE_URL: fake.baseUrl };
    config = path.join(tempWorkspace(), 'config.json');
    fs.writeFileSync(config, JSON.stringify({ orchestrator: { provider: 'openai', model: 'gpt-5' }, roles: { dev: { provider: 'openai', model: 'gpt-5' }, qa: { provider: 'openai', model: 'gpt-5-mini' } }, validation: { runTests: 'never' } }));
  });
  after(() => fake.close());

  it('plans into .ensemble/plan.json without touching the workspace, and runs the edited file with no planning call', async () => {
    const ws = tempWorkspace();
    fs.writeFileSync(path.join(ws, 'notes.md'), 'mine');
    fake.requests.length = 0;
    const planned = await ensemble(['plan', '--goal', 'Two files', '--workspace', ws, '--config', config], env);
    assert.equal(planned.code, 0, planned.stderr);
    const file = path.join(ws, '.ensemble', 'plan.json');
    const written = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(written, { goal: 'Two files', ...PLAN });
    // Shown: each task with its role, route and dependencies, the rationale and the estimate.
    assert.match(planned.stderr, /1\. api: Task api\n +role dev on openai\/gpt-5; after nothing\n +why: dev owns api/);
    assert.match(planned.stderr, /2\. tests: Task tests\n +role qa on openai\/gpt-5-mini; after api/);
    assert.match(planned.stderr, /why: split by role/);
    assert.match(planned.stderr, /estimate: about \$\d+\.\d{2,4} for development/);
    assert.deepEqual(fs.readdirSync(ws).sort(), ['.ensemble', 'notes.md'], 'no workspace file was written');
    assert.deepEqual(fake.requests.map((r) => r.trace), ['plan#1'], 'only the planning call');

    // The user edits the plan: one task only, on qa, with new words.
    fs.writeFileSync(file, JSON.stringify({ goal: 'Two files', rationale: 'mine', tasks: [{ ...task('only', 'qa'), title: 'The only task' }] }, null, 2));
    fake.requests.length = 0;
    const ran = await ensemble(['run', '--plan', file, '--workspace', ws, '--config', config, '--json'], env);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(fake.requests.filter((r) => r.trace?.startsWith('plan')).length, 0, 'no planning request');
    assert.deepEqual([...new Set(fake.requests.map((r) => r.trace?.replace(/#\d+$/, '')))], ['task/only']);
    assert.equal(fake.requests[0]!.model, 'gpt-5-mini');
    assert.equal(fs.readFileSync(path.join(ws, 'only.txt'), 'utf8'), 'only done');
    assert.equal(fs.existsSync(path.join(ws, 'api.txt')), false);
    const report = JSON.parse(ran.stdout);
    assert.equal(report.goal, 'Two files');
    assert.deepEqual(report.tasks.map((t: { id: string; title: string }) => [t.id, t.title]), [['only', 'The only task']]);
    assert.deepEqual(report.plan, { proposals: 1, approvedBy: 'auto', edited: false, feedback: [] });
  });

  it('refuses a bad plan file with exit 2, naming each problem with its line, before any model is called', async () => {
    const ws = tempWorkspace();
    const file = path.join(ws, 'bad-plan.json');
    const tasks = [task('a', 'ghost'), task('b', 'dev', ['missing']), task('c', 'dev', ['d']), task('d', 'dev', ['c']), task('a', 'qa')];
    const text = JSON.stringify({ rationale: 'r', tasks }, null, 2);
    fs.writeFileSync(file, text);
    const line = (needle: string, from = 0) => text.slice(0, text.indexOf(needle, from)).split('\n').length;
    fake.requests.length = 0;
    const r = await ensemble(['run', '--goal', 'x', '--plan', file, '--workspace', ws, '--config', config], env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /has 4 problems/);
    assert.match(r.stderr, new RegExp(`bad-plan\\.json:${line('"ghost"')}:\\d+: Task "a" has role "ghost", which is not configured\\. Use one of: dev, qa\\.`));
    assert.match(r.stderr, new RegExp(`bad-plan\\.json:${line('"missing"') - 1}:\\d+: Task "b" depends on "missing", which is not a task in the plan\\.`));
    assert.match(r.stderr, /The dependencies form a cycle: c → d → c\./);
    assert.match(r.stderr, new RegExp(`bad-plan\\.json:${line('"id": "a"', text.indexOf('"id": "d"'))}:\\d+: Task id "a" is used more than once`));
    assert.equal(fake.requests.length, 0, 'no model was called');
    assert.equal(fs.existsSync(path.join(ws, '.ensemble')), false, 'no session was started');

    fs.writeFileSync(file, '{\n  "rationale": "r",\n  "tasks": [\n    { "id": "a", }\n  ]\n}\n');
    const json = await ensemble(['run', '--goal', 'x', '--plan', file, '--workspace', ws, '--config', config], env);
    assert.equal(json.code, 2);
    assert.match(json.stderr, /bad-plan\.json:4:\d+: Not valid JSON: property name expected/);
    const missing = await ensemble(['run', '--goal', 'x', '--plan', path.join(ws, 'nope.json'), '--workspace', ws, '--config', config], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot read the plan file .*nope\.json/);
    assert.equal(fake.requests.length, 0);
  });

  it('refuses --approve-plan without a terminal (exit 2) before anything runs', async () => {
    const ws = tempWorkspace();
    fake.requests.length = 0;
    const r = await ensemble(['run', '--goal', 'x', '--approve-plan', '--workspace', ws, '--config', config], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--approve-plan needs a terminal/);
    assert.equal(fake.requests.length, 0);
    assert.equal(fs.existsSync(path.join(ws, '.ensemble')), false);
  });
});

describe('cli: the plan on a terminal', () => {
  const proposal: PlanProposal = {
    proposal: 1,
    rationale: 'split by role',
    tasks: [{ id: 'api', title: 'API', description: 'd', role: 'dev', dependsOn: [] }, { id: 'ui', title: 'UI', description: 'd', role: 'web', dependsOn: ['api'], rationale: 'web knows HTML' }],
    roles: ['dev', 'web'],
    routes: { api: { provider: 'openai', model: 'gpt-5' }, ui: { provider: 'gemini', model: 'gemini-2.5-pro', fallback: { provider: 'openai', model: 'gpt-5' } } },
    estimateUsd: 0.1234,
    unknownModels: [],
    errors: [],
  };
  const answer = async (typed: string, p = proposal, end = true) => {
    const input = new PassThrough();
    let shown = '';
    const pending = terminalReviewer(input, (t) => (shown += t))(p, new AbortController().signal);
    input.write(typed);
    if (end) input.end();
    return { answer: await pending, shown };
  };

  it('shows each task with role, route, dependencies and rationale, and the estimate; approves', async () => {
    const { answer: a, shown } = await answer('a\n');
    assert.deepEqual(a, { action: 'approve' });
    assert.match(shown, /Plan 1: 2 tasks\n  why: split by role\n  1\. api: API\n     role dev on openai\/gpt-5; after nothing\n  2\. ui: UI\n     role web on gemini\/gemini-2\.5-pro \(fallback openai\/gpt-5\); after api\n     why: web knows HTML\n  estimate: about \$0\.1234 for development/);
  });

  it('asks again on an unknown answer, takes feedback for a replan, and cancels when the input closes', async () => {
    assert.deepEqual((await answer('maybe\nr\nfewer tasks please\n', proposal, false)).answer, { action: 'replan', feedback: 'fewer tasks please' });
    assert.equal((await answer('')).answer.action, 'cancel');
    assert.equal((await answer('c\n')).answer.action, 'cancel');
  });

  it('shows why an edit was refused', async () => {
    const { shown } = await answer('a\n', { ...proposal, errors: ['Task "x" depends on "y", which is not a task in the plan.'] });
    assert.match(shown, /^Your edit was refused:\n  - Task "x" depends on "y"/);
  });
});
