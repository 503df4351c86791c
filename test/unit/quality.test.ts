// Integration and validation phases through the engine: a measured mismatch reviewed by the
// orchestrator and fixed by the owning role; failing generated tests fixed in one round and re-run;
// consent refused means nothing runs.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { conv, planStep, turn, writesThenFinishes, type Step } from '../helpers/scripted';
import { ofType, run, testConfig } from '../helpers/session';
import { tempWorkspace } from '../helpers/tmp';
import type { ChatRequest } from '../../src/core/ports';

const server = (route: string) => `const http = require('node:http');\nhttp.createServer((req, res) => {\n  if (req.method === 'GET' && req.url === '${route}') return res.end('[]');\n}).listen(3000);\n`;
const front = "fetch('/api/todos').then((r) => r.json());\n";

describe('integration phase', () => {
  it('has the orchestrator review a measured mismatch, and the owning role fix it', async () => {
    const r = run('todo', {
      orch: (req: ChatRequest): Step => {
        if (conv(req) === 'plan') return planStep([{ id: 'api', role: 'a' }, { id: 'ui', role: 'b' }]);
        if (conv(req) === 'review') {
          assert.match(req.messages[0]!.content as string, /GET \/api\/todos \(public\/app\.js:1\)/);
          return turn(req) === 1
            ? { toolCalls: [{ name: 'request_fix', arguments: { role: 'a', title: 'Serve /api/todos', description: 'server.js defines /api/items; the page calls /api/todos', reason: 'the page cannot load its list' } }] }
            : { toolCalls: [{ name: 'finish', arguments: { summary: 'one real mismatch' } }] };
        }
        return { error: { code: 'bad_request', retryable: false, message: `unexpected ${req.trace}` } };
      },
      p1: (req) => writesThenFinishes({ 'server.js': server(conv(req) === 'task/api' ? '/api/items' : '/api/todos') })(req),
      p2: writesThenFinishes({ 'public/app.js': front }),
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    const checks = ofType(r.events(), 'integration.checked');
    assert.equal(checks.length, 2);
    assert.equal(checks[0]!.callsWithoutRoute.length, 1);
    assert.deepEqual(checks[1]!.callsWithoutRoute, []);
    assert.deepEqual(checks[1]!.matched, [{ method: 'GET', path: '/api/todos' }]);
    assert.equal(state.tasks['fix-integration']!.status, 'completed');
    assert.ok(state.decisions.some((d) => d.kind === 'fix' && d.rationale === 'the page cannot load its list'));
    assert.ok(state.decisions.some((d) => d.kind === 'review' && /1 fix requested/.test(d.summary)));
    // The reviewing agent's work has an end of its own: it does not stay ACTIVE after the session.
    const reviewer = Object.values(state.agents).find((a) => a.taskId === 'integration-review');
    assert.equal(reviewer?.status, 'COMPLETED');
    assert.ok(Object.values(state.agents).every((a) => a.status === 'COMPLETED'));
  });

  it('pays for no review when every call has a route', async () => {
    const r = run('todo', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 'api', role: 'a' }]) : { error: { code: 'bad_request', retryable: false } }),
      p1: writesThenFinishes({ 'server.js': server('/api/todos'), 'public/app.js': front }),
      p2: () => ({ hang: true }),
    });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed');
    assert.equal(r.providers.orch!.requests.length, 1); // planning only
    assert.ok(state.decisions.some((d) => d.kind === 'review' && /every call/.test(d.summary)));
  });
});

describe('integration phase: the cost of the change', () => {
  it('checks what the session changed against the routes elsewhere in the workspace, reading only the files that mention them', async () => {
    const ws = tempWorkspace();
    const put = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
      fs.writeFileSync(path.join(ws, rel), text);
    };
    // An existing back end: a router mounted under /api in another file, among many unrelated sources.
    put('server.js', "const express = require('express');\nconst app = express();\napp.use('/api', require('./routes/todos'));\napp.listen(3000);\n");
    put('routes/todos.js', "const router = require('express').Router();\nrouter.get('/todos', (req, res) => res.json([]));\nmodule.exports = router;\n");
    for (let i = 0; i < 300; i++) put(`lib/m${i}.js`, `module.exports = ${i};\n`);
    const r = run('todo page', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 'ui', role: 'b' }]) : { error: { code: 'bad_request', retryable: false } }),
      p1: () => ({ hang: true }),
      p2: writesThenFinishes({ 'public/app.js': front }),
    }, { workspace: ws });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    const [check] = ofType(r.events(), 'integration.checked');
    assert.deepEqual(check!.matched, [{ method: 'GET', path: '/api/todos' }]);
    assert.deepEqual(check!.callsWithoutRoute, []);
    assert.equal(check!.filesScanned, 3, 'the page the session wrote, the router and the file that mounts it: not the 300 others');
    assert.equal(r.providers.orch!.requests.length, 1, 'no review: nothing is wrong');
  });
});

describe('validation phase', () => {
  const pkg = JSON.stringify({ name: 'x', private: true, scripts: { test: 'node --test' } });
  const testFile = (ok: boolean) => `const test = require('node:test');\nconst assert = require('node:assert');\ntest('sum', () => assert.equal(1 + 1, ${ok ? 2 : 3}));\n`;

  it('runs the generated tests, sends failures to their owner for one fix round, and runs them again', async function () {
    this.timeout(60_000);
    const r = run('tested', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 'qa', role: 'a' }]) : { error: { code: 'bad_request', retryable: false } }),
      p1: (req) => {
        if (conv(req) === 'task/fix-tests') {
          assert.match(req.messages[0]!.content as string, /1 failed, 0 passed/);
          return writesThenFinishes({ 'test/sum.test.js': testFile(true) })(req);
        }
        return writesThenFinishes({ 'package.json': pkg, 'test/sum.test.js': testFile(false) })(req);
      },
      p2: () => ({ hang: true }),
    }, { config: testConfig({ validation: { runTests: 'always', timeoutMs: 30_000 } }) });
    const state = await r.handle.done;
    const runs = ofType(r.events(), 'validation.ran');
    assert.deepEqual(runs.map((x) => [x.command, x.exitCode, x.passed, x.failed]), [['npm test', 1, 0, 1], ['npm test', 0, 1, 0]]);
    assert.equal(state.status, 'completed');
    const report = JSON.parse(fs.readFileSync(path.join(r.handle.dir, 'report.json'), 'utf8'));
    assert.deepEqual([report.validation.passed, report.validation.failed], [1, 0]);
  });

  it('runs nothing without consent, and says so', async () => {
    let asked = '';
    const r = run('no consent', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 'qa', role: 'a' }]) : { error: { code: 'bad_request', retryable: false } }),
      p1: writesThenFinishes({ 'package.json': pkg, 'test/sum.test.js': testFile(false) }),
      p2: () => ({ hang: true }),
    }, { config: testConfig({ validation: { runTests: 'ask' } }), consent: async (cmd) => ((asked = cmd), false) });
    const state = await r.handle.done;
    assert.equal(asked, 'npm test');
    assert.equal(ofType(r.events(), 'validation.ran').length, 0);
    assert.deepEqual(state.validation, { notRun: 'running "npm test" was not allowed (asked the user)' });
    assert.equal(state.status, 'completed');
  });

  it('a cancel while the user is asked withdraws the question: the session ends cancelled, nothing runs', async () => {
    let signal: AbortSignal | undefined;
    let asked!: () => void;
    const asking = new Promise<void>((resolve) => (asked = resolve));
    const r = run('cancel while asked', {
      orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 'qa', role: 'a' }]) : { error: { code: 'bad_request', retryable: false } }),
      p1: writesThenFinishes({ 'package.json': pkg, 'test/sum.test.js': testFile(true) }),
      p2: () => ({ hang: true }),
    }, { config: testConfig({ validation: { runTests: 'ask' } }), consent: (_cmd, s) => ((signal = s), asked(), new Promise<boolean>(() => undefined)) });
    await asking;
    r.handle.cancel('cancelled by the user');
    const state = await r.handle.done;
    assert.equal(state.status, 'cancelled');
    assert.equal(signal?.aborted, true, 'the port was given the session\'s signal, which tells it to withdraw the question');
    assert.equal(ofType(r.events(), 'validation.ran').length, 0);
  });
});
