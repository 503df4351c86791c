// The offline demo, end to end: the hand-written cassette replayed through the real OpenAI,
// Anthropic and Gemini SDKs against the local wire-exact servers, writing a working todo app whose
// own tests really run.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { demoCommand } from '../../src/cli/commands';
import type { ReportJson } from '../../src/core/fold/report';
import { readEvents } from '../../src/core/store/log';
import { tempWorkspace } from '../helpers/tmp';
import { searchFiles } from '../../src/core/session/handlers/search-files';
import type { ToolArgs } from '../../src/core/session/tools';
import { NodeFileStore } from '../../src/node/file-store';

const root = path.resolve(__dirname, '..', '..');

describe('demo', () => {
  let report: ReportJson;
  let workspace: string;
  let progress: string[];

  before(async function () {
    this.timeout(120_000);
    workspace = tempWorkspace('ensemble-demo-');
    const out: string[] = [];
    progress = [];
    const code = await demoCommand(workspace, { json: true }, { out: (s) => out.push(s), err: (s) => progress.push(s) });
    assert.equal(code, 0, progress.join('\n'));
    report = JSON.parse(out.join('\n'));
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

  it('folds cost per provider, per role and per task, and they add up to the session total', () => {
    const total = report.metrics.costUsd.total!;
    const byProvider = ['anthropic', 'gemini', 'openai'].reduce((a, id) => a + report.metrics.costUsd[id]!, 0);
    const byRole = Object.values(report.metrics.byRole).reduce((a, r) => a + r.costUsd!, 0);
    assert.ok(Math.abs(byProvider - total) < 1e-6 && Math.abs(byRole - total) < 1e-6);
    assert.deepEqual(Object.keys(report.metrics.byRole).sort(), ['backend', 'frontend', 'orchestrator', 'qa']);
    const byTask = report.tasks.reduce((a, t) => a + t.costUsd!, 0);
    assert.ok(byTask > 0 && byTask < total); // planning is the orchestrator's, outside any task
    assert.ok(report.tasks.every((t) => t.tokens.input > 0));
  });

  it('writes the todo app byte for byte, with provenance', () => {
    const files = ['server.js', 'package.json', 'public/index.html', 'public/styles.css', 'public/app.js', 'test/server.test.js'];
    assert.deepEqual(report.files.map((f) => f.path).sort(), [...files].sort());
    for (const f of files) assert.equal(fs.readFileSync(path.join(workspace, f), 'utf8'), fs.readFileSync(path.join(root, 'demo', 'todo-app', f), 'utf8'), f);
    assert.equal(report.files.find((f) => f.path === 'test/server.test.js')!.role, 'orchestrator');
    assert.equal(report.files.find((f) => f.path === 'public/app.js')!.provider, 'gemini');
  });

  it('searches the route list and edits one line of the page instead of rewriting it', () => {
    const events = readEvents(path.join(workspace, '.ensemble', 'sessions', report.sessionId, 'events.jsonl')).events;
    const called = (tool: string) => events.filter((e) => e.type === 'tool.called' && e.tool === tool).map((e) => e.type === 'tool.called' && `${e.taskId}: ${e.summary}`);
    assert.deepEqual(called('search_files'), ['backend-api: "req.method === \'" in server.js']);
    assert.deepEqual(called('edit_file'), ['frontend-ui: public/index.html (1 edit)']);
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
    assert.equal(report.validation!.passed, 7);
    assert.equal(report.validation!.failed, 0);
    assert.ok(report.validation!.coverage! > 80);
  });

  it('shows QA running the tests with run_command, allowed by the config, and the orchestrator running the tests it wrote', () => {
    assert.deepEqual(report.commands.map((c) => [c.taskId, c.role, c.command, c.decision, c.by, c.exitCode, c.timedOut]), [
      ['qa-tests', 'qa', 'npm test', 'allowed', 'policy', 0, false],
      ['qa-tests', 'orchestrator', 'npm test', 'allowed', 'policy', 0, false],
    ]);
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
