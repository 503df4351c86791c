// The offline demo, end to end: the hand-written cassette replayed through the real OpenAI,
// Anthropic and Gemini SDKs against the local wire-exact servers, writing a working todo app whose
// own tests really run.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { loadCassette } from '../../src/cassette/format';
import type { ReportJson } from '../../src/core/fold/report';
import { readEvents } from '../../src/core/store/log';
import { searchFiles } from '../../src/core/session/handlers/search-files';
import type { ToolArgs } from '../../src/core/session/tools';
import { NodeFileStore } from '../../src/node/file-store';
import { demoRun } from '../helpers/demo';
import { summary } from '../../src/cli/runner';

const root = path.resolve(__dirname, '..', '..');

/**
 * USD per 1M tokens of the demo's models, written out from @pydantic/genai-prices 0.1.8
 * (node_modules/@pydantic/genai-prices/dist/index.cjs, providers anthropic, google, openai; the
 * demo's prompts are far below gemini-2.5-pro's 200k-token tier). Literal on purpose: the engine's
 * figures are checked against the price list, not against the engine's own pricing code.
 */
const PRICES: Record<string, { input: number; cachedInput: number; output: number }> = {
  'anthropic/claude-opus-4-8': { input: 5, cachedInput: 0.5, output: 25 },
  'gemini/gemini-2.5-pro': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gemini/gemini-2.5-flash': { input: 0.3, cachedInput: 0.03, output: 2.5 },
  'openai/gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'openai/gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
};

type Served = { answers: number; faults: number; input: number; output: number; cachedInput: number; cacheWrite: number; usd: number };

/**
 * What the fakes served, from the cassette alone: every answer with its usage, billed at PRICES to
 * the model of the route it was served on (the conversation's role from the cassette's plan, its
 * primary model, or its fallback's when the answer came from the fallback's provider; a best-of
 * candidate's conversation, `task/<id>/<n>`, the plan's n-th candidate, billed to the task's role), and
 * every fault as often as it is served (a failed call: no tokens, no dollars). Summed by provider and role.
 */
function servedByCassette(): { byProvider: Record<string, Served>; byRole: Record<string, Served> } {
  const cassette = loadCassette(path.join(root, 'demo', 'todo-app.cassette.json'));
  const config = cassette.config!;
  const plan = cassette.entries.find((e) => e.key === 'plan#1' && 'reply' in e);
  const tasks = (plan && 'reply' in plan ? plan.reply.toolCalls![0]!.arguments.tasks : []) as { id: string; role: string; candidates?: { provider: string; model: string }[] }[];
  const byProvider: Record<string, Served> = {};
  const byRole: Record<string, Served> = {};
  const zero = (): Served => ({ answers: 0, faults: 0, input: 0, output: 0, cachedInput: 0, cacheWrite: 0, usd: 0 });
  for (const e of cassette.entries) {
    const [, task, candidate] = /^task\/([^/#]+)(?:\/(\d+))?#/.exec(e.key) ?? [];
    const role = task ? tasks.find((t) => t.id === task)!.role : 'orchestrator';
    type Route = { provider: string; model: string; fallback?: { provider: string; model: string } };
    const route: Route = candidate ? tasks.find((t) => t.id === task)!.candidates![Number(candidate) - 1]! : ((role === 'orchestrator' ? config.orchestrator : config.roles![role]) as Route);
    assert.equal(route.provider === e.provider || route.fallback?.provider === e.provider, true, e.key);
    const sums = [(byProvider[e.provider] ??= zero()), (byRole[role] ??= zero())];
    if (!('reply' in e)) {
      for (const x of sums) x.faults += e.times ?? 1;
      continue;
    }
    const model = route.provider === e.provider ? route.model : route.fallback!.model;
    const u = e.reply.usage!;
    const price = PRICES[`${e.provider}/${model}`]!;
    const usd = (u.input * price.input + (u.cachedInput ?? 0) * price.cachedInput + u.output * price.output) / 1e6;
    for (const x of sums) {
      x.answers++;
      x.input += u.input;
      x.output += u.output;
      x.cachedInput += u.cachedInput ?? 0;
      x.cacheWrite += u.cacheWrite ?? 0;
      x.usd += usd;
    }
  }
  return { byProvider, byRole };
}

describe('demo', () => {
  let report: ReportJson;
  let workspace: string;
  let progress: string[];

  before(async function () {
    this.timeout(120_000);
    ({ report, workspace, progress } = await demoRun());
  });

  it('completes every phase and says plainly that the answers were scripted', () => {
    assert.equal(report.status, 'completed');
    assert.equal(report.scripted, true);
    assert.deepEqual(report.phases.map((p) => `${p.name}:${p.outcome}`), ['setup:ok', 'planning:ok', 'development:ok', 'integration:ok', 'validation:ok', 'report:ok']);
    assert.match(progress[0]!, /SCRIPTED/);
  });

  it('goes through all three providers, with a retry, a provider switch and an escalation', () => {
    assert.deepEqual(Object.keys(report.metrics.tokens).sort(), ['anthropic', 'gemini', 'openai']);
    for (const id of ['anthropic', 'gemini', 'openai']) assert.ok((report.metrics.costUsd[id] ?? 0) > 0, id);
    assert.equal(report.metrics.providerSwitches, 1);
    assert.equal(report.switchLog[0]!.from, 'openai/gpt-5');
    assert.equal(report.metrics.escalations, 1);
    const qa = report.tasks.find((t) => t.id === 'qa-tests')!;
    assert.equal(qa.status, 'completed');
    // The orchestrator finished it after escalation: said so, with each one's share of the cost.
    assert.deepEqual(qa.finishedBy, { by: 'orchestrator', role: 'orchestrator', provider: 'anthropic', model: 'claude-opus-4-8' });
    assert.deepEqual(qa.spentBy.map((x) => `${x.role} ${x.provider}/${x.model}`), ['qa openai/gpt-5-mini', 'orchestrator anthropic/claude-opus-4-8']);
    assert.ok(Math.abs(qa.spentBy.reduce((a, x) => a + x.costUsd!, 0) - qa.costUsd!) < 1e-6);
    assert.deepEqual(report.tasks.find((t) => t.id === 'frontend-ui')!.finishedBy, { by: 'role', role: 'frontend', provider: 'gemini', model: 'gemini-2.5-flash' });
    assert.ok(report.metrics.failures >= 4); // one 429 and three 503s, each a real SDK error
    assert.ok(report.decisions.some((d) => d.kind === 'escalate' && /completed/.test(d.summary)));
  });

  it('bills each provider and role exactly what the fakes served, at the price list\'s rates', () => {
    const served = servedByCassette();
    // report.json rounds dollars to the micro-dollar.
    const close = (got: number | null | undefined, want: number, what: string) => assert.ok(got !== null && got !== undefined && Math.abs(got - want) <= 1e-6, `${what}: ${got} ≠ ${want}`);
    assert.deepEqual(Object.keys(report.metrics.tokens).sort(), Object.keys(served.byProvider).sort());
    for (const [id, s] of Object.entries(served.byProvider)) {
      assert.deepEqual(report.metrics.tokens[id], { input: s.input, output: s.output, cachedInput: s.cachedInput, cacheWrite: s.cacheWrite }, id);
      close(report.metrics.costUsd[id], s.usd, id);
    }
    close(report.metrics.costUsd.total, Object.values(served.byProvider).reduce((a, s) => a + s.usd, 0), 'total');
    const all = Object.values(served.byProvider);
    assert.deepEqual([report.metrics.calls, report.metrics.failures], [all.reduce((a, s) => a + s.answers + s.faults, 0), all.reduce((a, s) => a + s.faults, 0)]);
    // By role: gemini's two models (backend on 2.5 Pro, frontend switched to 2.5 Flash) billed apart.
    assert.deepEqual(Object.keys(report.metrics.byRole).sort(), Object.keys(served.byRole).sort());
    for (const [role, s] of Object.entries(served.byRole)) {
      const r = report.metrics.byRole[role]!;
      assert.deepEqual([r.calls, r.input, r.output], [s.answers + s.faults, s.input, s.output], role);
      close(report.metrics.byRole[role]!.costUsd, s.usd, role);
    }
  });

  it('says "input tokens" one way in report.md and the CLI summary, as the panel does: the whole prompt, cache reads included', () => {
    const md = fs.readFileSync(path.join(workspace, '.ensemble', 'sessions', report.sessionId, 'report.md'), 'utf8');
    const text = summary(report, workspace);
    assert.ok(report.metrics.tokens.openai!.cachedInput > 0, 'the demo has cache reads (OpenAI)');
    for (const [id, t] of Object.entries(report.metrics.tokens)) {
      const prompt = t.input + t.cachedInput + t.cacheWrite;
      assert.match(md, new RegExp(`^\\| ${id} \\| ${prompt} \\| ${t.output} \\|`, 'm'), id);
      assert.match(text, new RegExp(`^  ${id}\\s+${prompt} in\\s+${t.output} out`, 'm'), id);
    }
    for (const [id, x] of Object.entries(report.metrics.byModel)) assert.match(md, new RegExp(`^\\| ${id} \\| ${x.calls} \\| ${x.failures} \\| ${x.input + x.cachedInput + x.cacheWrite} \\|`, 'm'), id);
  });

  it('splits the cost by task: planning is the orchestrator\'s, outside any task', () => {
    const byTask = report.tasks.reduce((a, t) => a + t.costUsd!, 0);
    assert.ok(byTask > 0 && byTask < report.metrics.costUsd.total!);
    assert.ok(report.tasks.every((t) => t.tokens.input > 0));
  });

  it('writes the todo app byte for byte, with provenance', () => {
    const files = ['server.js', 'package.json', 'public/index.html', 'public/styles.css', 'public/app.js', 'test/server.test.js'];
    assert.deepEqual(report.files.map((f) => f.path).sort(), [...files].sort());
    for (const f of files) assert.equal(fs.readFileSync(path.join(workspace, f), 'utf8'), fs.readFileSync(path.join(root, 'demo', 'todo-app', f), 'utf8'), f);
    // Each file's last writer: the tests and the server were last changed by the race's winner.
    assert.deepEqual(
      ['test/server.test.js', 'server.js'].map((p) => report.files.find((f) => f.path === p)).map((f) => [f!.role, f!.provider]),
      [['backend', 'openai'], ['backend', 'openai']],
    );
    assert.equal(report.files.find((f) => f.path === 'public/app.js')!.provider, 'gemini');
    const events = readEvents(path.join(workspace, '.ensemble', 'sessions', report.sessionId, 'events.jsonl')).events;
    const lastWriter = (p: string) => events.filter((e) => e.type === 'file.written' && e.path === p).map((e) => e.type === 'file.written' && `${e.taskId} ${e.agentId}`).at(-1);
    const winner = report.tasks.find((t) => t.id === 'title-limit')!.candidates!.find((c) => c.chosen)!;
    for (const f of ['server.js', 'test/server.test.js']) assert.equal(lastWriter(f), `title-limit ${winner.agentId}`, f);
  });

  it('races the title limit on three vendors: the check fails one, the cheaper of the two that pass is applied', () => {
    const t = report.tasks.find((x) => x.id === 'title-limit')!;
    assert.equal(t.status, 'completed');
    assert.deepEqual(
      t.candidates!.map((c) => [c.provider, c.check?.command, c.check?.exitCode, c.passed, c.chosen]),
      [
        ['gemini', 'npm test', 1, false, false],
        ['openai', 'npm test', 0, true, true],
        ['anthropic', 'npm test', 0, true, false],
      ],
    );
    const [, openai, anthropic] = t.candidates!;
    assert.ok(openai!.costUsd! < anthropic!.costUsd!, `${openai!.costUsd} < ${anthropic!.costUsd}`);
    assert.match(t.candidateVerdict!.reason, /passed, cheapest of 2 that passed/);
    assert.equal(t.finishedBy?.provider, 'openai');
    // Every candidate's calls are the task's: its model calls and its cost.
    assert.equal(t.attempts, t.spentBy.reduce((a, x) => a + x.calls, 0));
    assert.equal(t.attempts, 7);
    assert.ok(Math.abs(t.candidates!.reduce((a, c) => a + c.costUsd!, 0) - t.costUsd!) < 1e-6);
    // The candidates' copies are gone.
    const copies = path.join(os.tmpdir(), `ensemble-copies-${process.getuid!()}`, createHash('sha256').update(fs.realpathSync(workspace)).digest('hex').slice(0, 12));
    assert.equal(fs.existsSync(copies), false, copies);
    assert.ok(progress.some((l) => /title-limit judged: title-limit#2 — passed, cheapest of 2 that passed/.test(l)), progress.join('\n'));
    // The summary the CLI prints at the end says it.
    assert.match(summary(report, workspace), /^Tasks: 4\/4 tasks done, 1 escalated, 1 provider switch, 1 raced \(best of 3\)$/m);
  });

  it('searches the route list and edits one line of the page instead of rewriting it', () => {
    const events = readEvents(path.join(workspace, '.ensemble', 'sessions', report.sessionId, 'events.jsonl')).events;
    const called = (tool: string) => events.filter((e) => e.type === 'tool.called' && e.tool === tool).map((e) => e.type === 'tool.called' && `${e.taskId}: ${e.summary}`);
    assert.deepEqual(called('search_files'), ['backend-api: "req.method === \'" in server.js']);
    assert.deepEqual(called('edit_file').filter((c) => !String(c).startsWith('title-limit')), ['frontend-ui: public/index.html (1 edit)']);
    const page = events.filter((e) => e.type === 'file.written' && e.path === 'public/index.html');
    assert.deepEqual(page.map((e) => e.type === 'file.written' && e.change), ['created', 'modified']);
    assert.equal(events.filter((e) => e.type === 'tool.failed').length, 0);
    assert.equal(report.files.find((f) => f.path === 'public/index.html')!.change, 'created', 'created by the session, whatever it did to it after');
  });

  it('the cassette\'s search finds the four routes in the server the demo writes', async () => {
    const cassette = JSON.parse(fs.readFileSync(path.join(root, 'demo', 'todo-app.cassette.json'), 'utf8')) as { entries: { reply?: { toolCalls?: { name: string; arguments: ToolArgs<'search_files'> }[] } }[] };
    const args = cassette.entries.flatMap((e) => e.reply?.toolCalls ?? []).find((c) => c.name === 'search_files')!.arguments;
    const found = (await searchFiles(new NodeFileStore(workspace), args)).result.split('\n');
    assert.deepEqual(found.map((l) => /=== '(\w+)'/.exec(l)?.[1]), ['GET', 'POST', 'PATCH', 'DELETE']);
    assert.ok(found.every((l) => /^server\.js:\d+: /.test(l)));
  });

  it('measures integration and runs the generated tests for real', () => {
    assert.deepEqual(report.integration!.callsWithoutRoute, []);
    assert.equal(report.integration!.matched.length, 4);
    assert.equal(report.validation!.command, 'npm test');
    assert.equal(report.validation!.exitCode, 0);
    assert.equal(report.validation!.passed, 8);
    assert.equal(report.validation!.failed, 0);
    assert.ok(report.validation!.coverage! > 80);
  });

  it('shows QA running the tests with run_command, allowed by the config, and the orchestrator running the tests it wrote', () => {
    assert.deepEqual(report.commands.filter((c) => c.taskId === 'qa-tests').map((c) => [c.taskId, c.role, c.command, c.decision, c.by, c.exitCode, c.timedOut]), [
      ['qa-tests', 'qa', 'npm test', 'allowed', 'policy', 0, false],
      ['qa-tests', 'orchestrator', 'npm test', 'allowed', 'policy', 0, false],
    ]);
    // The race: OpenAI's candidate ran the tests in its copy, and each candidate's check ran in its own.
    assert.deepEqual(
      report.commands.filter((c) => c.taskId === 'title-limit').map((c) => [c.command, c.decision, c.exitCode]).sort(),
      [['npm test', 'allowed', 0], ['npm test', 'allowed', 0], ['npm test', 'allowed', 0], ['npm test', 'allowed', 1]],
    );
    const ran = readEvents(path.join(workspace, '.ensemble', 'sessions', report.sessionId, 'events.jsonl')).events.filter((e) => e.type === 'command.ran');
    assert.match(ran[0]!.type === 'command.ran' ? ran[0]!.outputTail : '', /# tests 0/); // before the tests existed
    assert.match(ran[1]!.type === 'command.ran' ? ran[1]!.outputTail : '', /# pass 7/);
    assert.ok(progress.some((l) => /\$ qa-tests \(qa\) asks to run `npm test`/.test(l)), progress.join('\n'));
    const md = fs.readFileSync(path.join(workspace, '.ensemble', 'sessions', report.sessionId, 'report.md'), 'utf8');
    assert.match(md, /## Commands[\s\S]*\| qa-tests \| qa \| `npm test` \| allowed \(policy\) \| exit 0 in/);
  });

  it('leaves the log, report.md and report.json in the session folder, and the log holds no key', () => {
    const dir = path.join(workspace, '.ensemble', 'sessions', report.sessionId);
    for (const f of ['events.jsonl', 'report.md', 'report.json']) assert.ok(fs.existsSync(path.join(dir, f)), f);
    const log = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8');
    assert.doesNotMatch(log, /scripted-no-key|authorization|x-goog-api-key|x-api-key/i);
    assert.equal(readEvents(path.join(dir, 'events.jsonl')).skipped, 0);
  });

  it('ships a cassette that is current with demo/todo-app', () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-demo-cassette.mjs'), '--check'], { stdio: 'pipe' });
  });
});
