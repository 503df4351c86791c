// Nothing leaked: canary keys (random, shaped like real ones) in the environment, in an `apiKeyEnv`
// variable and in a provider `headers` value, sent by the real SDKs to fakes whose 400, 401 and 403
// bodies echo them back (as real providers do). No canary may reach the event log (nor its
// listeners), the report, a recorded cassette, the CLI's output, or the generated project's tests.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startFakeServer } from '../../src/fakes';
import type { FakeHandler, FakeReply, FakeRequest, FakeServer } from '../../src/fakes/script';
import { resolveConfig } from '../../src/core/config';
import { NodeFileStore } from '../../src/node/file-store';
import { startSession } from '../../src/core/session/session';
import { REDACTED, Redactor } from '../../src/core/redact';
import { childEnv } from '../../src/core/quality/validation';
import { buildResolver, envKeys } from '../../src/node/providers';
import { tempWorkspace } from '../helpers/tmp';
import { NodeCommandRunner } from '../../src/node/command-runner';
import { platformSandbox } from '../../src/node/sandbox';

const cli = path.resolve(__dirname, '..', '..', 'src', 'cli.ts');
const KEYLESS_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/_API_KEY$|_BASE_URL$/.test(k)));
// A variable name no secret-name pattern matches: only the configuration says it holds a key.
const ROUTER_ENV = 'ROUTER_PAT';

const b64 = (n: number) => randomBytes(n).toString('base64url');

function canaries() {
  return {
    OPENAI_API_KEY: `sk-proj-${b64(36)}`,
    ANTHROPIC_API_KEY: `sk-ant-api03-${b64(60)}`,
    GEMINI_API_KEY: `AIza${b64(27).slice(0, 35)}`,
    // shaped like no known kind of key: none of the redactor's shapes matches it, only the configured value does
    [ROUTER_ENV]: `rtr_${b64(36)}`,
    header: `hdr_${randomBytes(20).toString('hex')}`,
  };
}
type Canaries = ReturnType<typeof canaries>;

function ensemble(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { env: { ...KEYLESS_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Answers by conversation (`plan`, `task/t1`): the n-th request of each gets `script[conv][n]` (the last one repeats). */
function byConversation(script: Record<string, ((req: FakeRequest) => FakeReply)[]>): FakeHandler {
  const seen = new Map<string, number>();
  return (req) => {
    const conv = (req.trace ?? '').replace(/#\d+$/, '');
    const steps = script[conv];
    if (!steps) return { kind: 'error', status: 500, message: `no script for ${conv}` };
    const n = seen.get(conv) ?? 0;
    seen.set(conv, n + 1);
    return steps[Math.min(n, steps.length - 1)]!(req);
  };
}

const call = (name: string, args: Record<string, unknown>): FakeReply => ({ kind: 'reply', toolCalls: [{ name, arguments: args }] });
const finish = () => call('finish', { summary: 'done' });

// The generated project: its test prints its whole environment and writes it to env-dump.json.
const PROJECT = {
  'package.json': JSON.stringify({ name: 'canary', private: true, scripts: { test: 'node --test' } }),
  'test/env.test.js': [
    "const test = require('node:test');",
    "const fs = require('node:fs');",
    "test('prints its environment', () => {",
    '  const env = JSON.stringify(process.env);',
    "  fs.writeFileSync('env-dump.json', env);",
    '  console.log(env);',
    '});',
  ].join('\n'),
};

interface Fakes {
  servers: Record<'openai' | 'anthropic' | 'gemini' | 'router', FakeServer>;
  close(): Promise<void>;
}

/**
 * Every provider fails once with an error body that quotes the key it was sent: Anthropic 403 (the
 * orchestrator switches to the router), the router 429 quoting its credential header too (retried),
 * OpenAI 400 on t1 (switch to Gemini) and 401 on t2 (switch to the router), Gemini 503 (retried).
 */
async function startFakes(): Promise<Fakes> {
  const echo = (status: number, message?: string) => (): FakeReply => ({ kind: 'error', status, echoKey: true, message });
  const servers = {
    anthropic: await startFakeServer('anthropic', byConversation({ plan: [echo(403, 'Your API key does not have permission to use this model')] })),
    openai: await startFakeServer('openai', byConversation({ 'task/t1': [echo(400)], 'task/t2': [echo(401)] })),
    gemini: await startFakeServer('gemini', byConversation({
      'task/t1': [echo(503, 'The model is overloaded for key'), () => ({ kind: 'reply', toolCalls: Object.entries(PROJECT).map(([p, content]) => ({ name: 'write_file', arguments: { path: p, content } })) }), finish],
    })),
    router: await startFakeServer('openai', byConversation({
      plan: [
        (req) => ({ kind: 'error', status: 429, retryAfterMs: 5, echoKey: true, message: `Rate limited; X-Router-Auth was ${String(req.headers['x-router-auth'])}, Authorization` }),
        () => call('submit_plan', { rationale: 'two tasks', tasks: [
          { id: 't1', title: 'Project', description: 'Write the project and its test', role: 'dev', dependsOn: [] },
          { id: 't2', title: 'Review', description: 'Review', role: 'qa', dependsOn: [] },
        ] }),
      ],
      'task/t2': [finish],
    })),
  };
  return { servers, close: async () => { for (const s of Object.values(servers)) await s.close(); } };
}

function configJson(fakes: Fakes, c: Canaries) {
  return {
    orchestrator: { provider: 'anthropic', model: 'claude-opus-4-8', fallback: { provider: 'router', model: 'router-large' } },
    roles: {
      dev: { provider: 'openai', model: 'gpt-5', fallback: { provider: 'gemini', model: 'gemini-2.5-pro' } },
      qa: { provider: 'openai', model: 'gpt-5-mini', fallback: { provider: 'router', model: 'router-small' } },
    },
    providers: { router: { kind: 'openai-compatible', baseUrl: fakes.servers.router.baseUrl, apiKeyEnv: ROUTER_ENV, headers: { 'X-Router-Auth': c.header } } },
    retry: { maxRetries: 2, maxBackoffMs: 20 },
    validation: { runTests: 'always', timeoutMs: 60_000 },
  };
}

function keyEnv(fakes: Fakes, c: Canaries): NodeJS.ProcessEnv {
  const { header: _header, ...env } = c;
  return { ...env, OPENAI_BASE_URL: fakes.servers.openai.baseUrl, ANTHROPIC_BASE_URL: fakes.servers.anthropic.baseUrl, GEMINI_BASE_URL: fakes.servers.gemini.baseUrl };
}

function assertNoCanary(where: string, text: string, c: Canaries): void {
  for (const [name, value] of Object.entries(c)) assert.ok(!text.includes(value), `the ${name} canary leaked into ${where}`);
}

/** Every file under `dir`, as text. */
function filesUnder(dir: string): [string, string][] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile()).map((f) => [f, fs.readFileSync(f, 'utf8')]);
}

/** The checks both runs share: the keys really went out and came back, and then nowhere stayed. */
function assertSessionClean(ws: string, fakes: Fakes, c: Canaries): string {
  // The SDKs sent each canary, so the fakes' error bodies did quote them.
  const sent = (s: FakeServer) => JSON.stringify(s.requests.map((r) => r.headers));
  assert.ok(sent(fakes.servers.openai).includes(c.OPENAI_API_KEY));
  assert.ok(sent(fakes.servers.anthropic).includes(c.ANTHROPIC_API_KEY));
  assert.ok(sent(fakes.servers.gemini).includes(c.GEMINI_API_KEY));
  assert.ok(sent(fakes.servers.router).includes(c[ROUTER_ENV]) && sent(fakes.servers.router).includes(c.header));
  const sessions = path.join(ws, '.ensemble', 'sessions');
  const [id] = fs.readdirSync(sessions);
  const dir = path.join(sessions, id!);
  const log = fs.readFileSync(path.join(dir, 'events.jsonl'), 'utf8');
  // The echoed bodies reached the log, redacted: 400 (OpenAI), 403 (Anthropic), 429 and 503 keep their detail.
  for (const status of [400, 403, 429, 503]) assert.match(log, new RegExp(`"status":${status}[^\\n]*\\[redacted\\]`), `no redacted ${status} in the log`);
  assert.match(log, /"status":401/);
  for (const [file, text] of filesUnder(path.join(ws, '.ensemble'))) assertNoCanary(path.relative(ws, file), text, c);
  assert.ok(fs.existsSync(path.join(dir, 'report.json')) && fs.existsSync(path.join(dir, 'report.md')));
  // The generated tests ran, printed their environment, and it held no key.
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
  assert.equal(report.validation?.passed, 1, JSON.stringify(report.validation));
  const dump = fs.readFileSync(path.join(ws, 'env-dump.json'), 'utf8');
  assert.ok(JSON.parse(dump).PATH, 'the environment dump is real');
  assertNoCanary('the environment of the generated tests', dump, c);
  return dir;
}

describe('reliability: secrets', function () {
  this.timeout(120_000);

  it('runs a session through the CLI whose providers echo the keys, and no key reaches a file, a cassette or the output', async () => {
    const c = canaries();
    const fakes = await startFakes();
    try {
      const ws = tempWorkspace();
      const cfg = path.join(tempWorkspace(), 'config.json');
      fs.writeFileSync(cfg, JSON.stringify(configJson(fakes, c)));
      const tape = path.join(tempWorkspace(), 'session.cassette.json');
      const r = await ensemble(['run', '--goal', 'Canary project', '--workspace', ws, '--config', cfg, '--yes', '--record', tape], keyEnv(fakes, c));
      assert.equal(r.code, 0, r.stderr);
      assertNoCanary('the CLI stdout', r.stdout, c);
      assertNoCanary('the CLI stderr', r.stderr, c);
      assert.match(r.stderr, /! anthropic\/claude-opus-4-8: .*\[redacted\]/, 'the progress shows the (redacted) error');
      const dir = assertSessionClean(ws, fakes, c);
      const cassette = fs.readFileSync(tape, 'utf8');
      assert.match(cassette, /"status": 403/, 'the cassette recorded the faults');
      assertNoCanary('the recorded cassette', cassette, c);
      const again = await ensemble(['report', dir, '--json'], keyEnv(fakes, c));
      assert.equal(again.code, 0, again.stderr);
      assertNoCanary('`ensemble report` output', again.stdout + again.stderr, c);
    } finally {
      await fakes.close();
    }
  });

  it('runs the same session in-process: neither the log, its listeners, the report nor the tests see a key', async () => {
    const c = canaries();
    const fakes = await startFakes();
    const env = keyEnv(fakes, c);
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env); // the generated tests inherit from this process
    try {
      const ws = tempWorkspace();
      const config = resolveConfig(configJson(fakes, c));
      const resolver = buildResolver(config, envKeys(env), env);
      const handle = startSession({ goal: 'Canary project', config, deps: { workspace: ws, store: new NodeFileStore(ws), runner: new NodeCommandRunner(), sandbox: platformSandbox(), resolve: (id) => resolver.resolve(id), secrets: resolver.secrets() } });
      let heard = '';
      handle.log.onDidAppend((e) => (heard += JSON.stringify(e) + '\n'));
      const state = await handle.done;
      assert.equal(state.status, 'completed', state.error);
      assert.match(heard, /\[redacted\]/);
      assertNoCanary('what the log listeners (the panel, the CLI) heard', heard, c);
      assertSessionClean(ws, fakes, c);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      await fakes.close();
    }
  });

  it('`ensemble report` redacts a log written before redaction existed', async () => {
    const c = canaries();
    const ws = tempWorkspace();
    const dir = path.join(ws, '.ensemble', 'sessions', 'old');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(ws, '.ensemble', 'config.json'), JSON.stringify({ providers: { router: { kind: 'openai-compatible', apiKeyEnv: ROUTER_ENV, headers: { 'X-Router-Auth': c.header } } } }));
    const events = [
      { type: 'session.started', sessionId: 'old', goal: 'old', config: { orchestrator: { provider: 'openai', model: 'gpt-5' }, roles: {}, maxConcurrency: 1 } },
      { type: 'decision', kind: 'plan', summary: 'Planned 0 tasks', rationale: `keys: ${Object.values(c).join(' ')}` },
      { type: 'session.ended', status: 'failed', error: `keys: ${Object.values(c).join(' ')}` },
    ].map((e, i) => JSON.stringify({ ...e, v: 1, seq: i + 1, ts: 1 })).join('\n') + '\n';
    fs.writeFileSync(path.join(dir, 'events.jsonl'), events);
    const { header: _h, ...keys } = c;
    const r = await ensemble(['report', dir], keys);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[redacted\]/);
    assertNoCanary('`ensemble report` output', r.stdout + r.stderr, c);
    assertNoCanary('report.md', fs.readFileSync(path.join(dir, 'report.md'), 'utf8'), c);
    assertNoCanary('report.json', fs.readFileSync(path.join(dir, 'report.json'), 'utf8'), c);
  });

  it('redacts whatever the CLI prints, even an error message that quotes a key', async () => {
    const c = canaries();
    const r = await ensemble(['run', '--goal', 'x', '--config', path.join(tempWorkspace(), c.OPENAI_API_KEY, c.GEMINI_API_KEY)], { OPENAI_API_KEY: c.OPENAI_API_KEY });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Config file .*\[redacted\].* does not exist/);
    assertNoCanary('the CLI stderr', r.stderr, c);
  });

  it('gives a child process only the allow-listed environment', () => {
    const c = canaries();
    const env = childEnv({ ...process.env, ...c, PATH: '/usr/bin', HOME: '/home/u', LC_ALL: 'C' });
    assertNoCanary('a child environment', JSON.stringify(env), c);
    assert.equal(env.PATH, '/usr/bin');
    assert.equal(env.LC_ALL, 'C');
    assert.equal(env.CI, 'true');
  });
});

describe('redactor', () => {
  const c = canaries();
  const r = new Redactor(Object.values(c));

  it('replaces known values (also JSON-escaped and URL-encoded) and the usual key shapes', () => {
    for (const value of Object.values(c)) assert.equal(r.text(`before ${value} after`), `before ${REDACTED} after`);
    const quoted = 'k3y"with\\quote-' + b64(12);
    assert.equal(new Redactor([quoted]).text(JSON.stringify({ m: `x ${quoted} y` })), JSON.stringify({ m: `x ${REDACTED} y` }));
    const spaced = 'a key with spaces ' + b64(8);
    assert.equal(new Redactor([spaced]).text(`?k=${encodeURIComponent(spaced)}`), `?k=${REDACTED}`);
    const shapes = new Redactor();
    const foreign = {
      openai: `Incorrect API key provided: sk-${b64(30)}1. You can find your API key at https://platform.openai.com/account/api-keys.`,
      project: `sk-proj-${b64(40)}9`,
      anthropic: `sk-ant-api03-${b64(60)}0-AA`,
      google: `API key not valid: AIza${b64(27).slice(0, 35)}`,
      bearer: `Authorization: Bearer eyJ${b64(30)}7.${b64(20)}`,
      query: `GET /v1/models?key=${randomBytes(20).toString('hex')}1&alt=sse`,
      header: `x-goog-api-key: ${b64(30)}5`,
    };
    for (const [name, text] of Object.entries(foreign)) {
      const out = shapes.text(text);
      assert.ok(out.includes(REDACTED), `${name}: ${out}`);
      assert.doesNotMatch(out, /[A-Za-z0-9_-]{24,}/, `${name} keeps a long token: ${out}`);
    }
    assert.equal(shapes.text('Authorization: Bearer abcd1234efgh5678ijkl'), `Authorization: Bearer ${REDACTED}`);
    assert.equal(shapes.text('https://x/v1?alt=sse&key=0123456789abcdef0123'), `https://x/v1?alt=sse&key=${REDACTED}`);
  });

  it('redacts every string of an event, keeping its structure', () => {
    const event = { type: 'llm.error', seq: 3, retryable: false, status: 401, message: `bad key ${c.OPENAI_API_KEY}`, usage: { input: 1, output: 2 }, list: [c.header, 'fine'], missing: undefined, none: null };
    assert.deepEqual(r.value(event), { ...event, message: `bad key ${REDACTED}`, list: [REDACTED, 'fine'] });
  });

  it('leaves ordinary text alone, and does not redact short values as substrings', () => {
    const ordinary = [
      'Task-force notes: the risk-assessment sk-learn pipeline, the task-1234 id, and a desk-lamp.',
      'Bearer tokens are sent in the Authorization header; use a Bearer token from the settings.',
      'const key = process.env.OPENAI_API_KEY; // key=value pairs, token=abc, api_key=${KEY}',
      'GET /api/todos?key=title&token=next 200 in 12 ms',
      'AIza is how Google keys start; sk- is how OpenAI keys start.',
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 of the file',
      'ℹ tests 7 · ℹ pass 7 · ℹ all files | 84.21 | 50.00 | 100.00 |',
      'src/server.js:12 app.get("/api/todos/:id", handler) — “quoted” text, émojis 🚀 and tabs\tstay.',
      JSON.stringify({ path: 'public/app.js', bytes: 1234, change: 'created', sha: 'a'.repeat(40) }),
    ];
    const short = new Redactor(['test', 'k', 'sk-1', 'abcdefg', '', '   ']);
    for (const text of ordinary) {
      assert.equal(r.text(text), text);
      assert.equal(short.text(text), text);
    }
    assert.equal(short.text('a test of abcdefg'), 'a test of abcdefg', 'values under 8 characters are not redacted');
    assert.equal(new Redactor(['abcdefgh']).text('xabcdefghx'), `x${REDACTED}x`, '8 characters are');
  });
});
