// MCP servers as agents' tools, end to end: real servers installed from npm (server-everything over
// stdio and streamable HTTP, server-memory, server-filesystem) and our own crashing, hanging,
// garbage-answering and growing test server, called by agents whose models are the REAL OpenAI,
// Anthropic and Gemini SDKs against the local wire-exact fakes: names and schemas every provider takes,
// results (text, images, resources, errors) as each provider's wire carries them, the policy and the
// approval port, the log, the report, the files a server changes, and no server left running.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeServer, type FakeAnswer, type FakeKind, type FakeRequest, type FakeServer } from '../../src/fakes';
import type { ProviderKind } from '../../src/providers/index';
import type { CommandApproval } from '../../src/core/session/commands';
import type { McpApprovalRequest } from '../../src/core/session/mcp';
import { reportFromEvents } from '../../src/core/fold/report';
import { describeEvent } from '../../src/core/fold/narrate';
import { foldTranscript } from '../../src/core/fold/transcript';
import { foldEvents } from '../../src/core/fold/state';
import { reviewSession } from '../../src/core/store/review';
import type { EngineDeps } from '../../src/core/session/session';
import type { ChatRequest } from '../../src/core/ports';
import { NodeFileStore } from '../../src/node/file-store';
import { platformSandbox } from '../../src/node/sandbox';
import { conv, planStep, type Step } from '../helpers/scripted';
import { ofType, tempWorkspace, testConfig } from '../helpers/session';
import { runWithFakes } from '../helpers/fake-session';
import { everythingOverHttp, SERVERS, stdio, toolResults } from '../helpers/mcp';

const KINDS: { kind: ProviderKind; fake: FakeKind }[] = [
  { kind: 'openai', fake: 'openai' },
  { kind: 'anthropic', fake: 'anthropic' },
  { kind: 'gemini', fake: 'gemini' },
];

describe('MCP servers as tools (real servers, real SDKs against the fakes)', function () {
  this.timeout(90_000);
  const fakes = new Map<FakeKind, FakeServer>();
  let sandboxName: string | null = null;
  before(async () => {
    for (const fk of ['openai', 'anthropic', 'gemini'] as const) fakes.set(fk, await startFakeServer(fk, () => ({ kind: 'hang' })));
    const status = await platformSandbox().probe();
    sandboxName = status.available ? status.name : null;
  });
  after(async () => {
    for (const f of fakes.values()) await f.close();
  });

  const orchestrator = (req: ChatRequest): Step => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { error: { code: 'bad_request', retryable: false, message: `unexpected ${req.trace}` } });
  const turnOf = (r: FakeRequest) => Number((r.trace ?? '#0').split('#')[1]);
  const call = (name: string, args: Record<string, unknown> = {}): FakeAnswer => ({ toolCalls: [{ name, arguments: args }] });
  const finish = call('finish', { summary: 'done' });

  /** A session whose agent (role a, with `mcp` selected) answers its turns with `turns`, then finishes. */
  function session(kind: ProviderKind, fk: FakeKind, turns: FakeAnswer[], extra: Record<string, unknown>, opts: { deps?: Partial<EngineDeps>; workspace?: string; selection?: string[] } = {}) {
    const fake = fakes.get(fk)!;
    const from = fake.requests.length;
    fake.setHandler((req) => ({ kind: 'reply', ...(turns[turnOf(req) - 1] ?? finish) }));
    const config = testConfig({ roles: { a: { provider: 'p1', model: 'm-1', mcp: opts.selection ?? ['everything', 'memory'] }, b: { provider: 'p2', model: 'm-2' } }, ...extra });
    const r = runWithFakes('mcp', { orch: orchestrator }, { p1: { kind, fake } }, config, opts);
    const requests = () => fake.requests.slice(from).filter((q) => q.trace?.startsWith('task/'));
    /** What the provider was sent back for the tool call of turn `turn`. */
    const result = (turn: number) => toolResults(requests().find((q) => q.trace === `task/t1#${turn + 1}`)).at(-1) ?? { text: '(no tool result)', images: [] };
    return { ...r, requests, result };
  }

  for (const { kind, fake: fk } of KINDS) {
    it(`${kind}: server-everything and server-memory over stdio: text, an image, an embedded resource, a file the server writes; logged, reported, stopped`, async () => {
      const workspace = tempWorkspace();
      const memoryFile = path.join(workspace, 'memory.jsonl');
      const r = session(
        kind,
        fk,
        [
          call('mcp__everything__echo', { message: 'hello mcp' }),
          call('mcp__everything__get-tiny-image'),
          call('mcp__everything__get-resource-reference', { resourceType: 'Text', resourceId: 2 }),
          call('mcp__memory__create_entities', { entities: [{ name: 'Ensemble', entityType: 'project', observations: ['uses MCP'] }] }),
          call('mcp__memory__read_graph'),
        ],
        { mcpServers: { everything: stdio(SERVERS.everything, ['stdio']), memory: stdio(SERVERS.memory, [], { env: { MEMORY_FILE_PATH: memoryFile } }) }, mcp: { run: 'allowed', allow: ['everything/*', 'memory/*'] } },
        { workspace },
      );
      const state = await r.handle.done;
      assert.equal(state.status, 'completed', state.error);
      const ev = r.events();
      // Offered under names every provider takes (the fakes refuse any other), with the server's schema.
      const offered = r.requests()[0]!.toolNames;
      for (const n of ['mcp__everything__echo', 'mcp__everything__get-tiny-image', 'mcp__memory__create_entities', 'mcp__memory__read_graph']) assert.ok(offered.includes(n), `${n} in ${offered.join(',')}`);
      assert.ok(offered.includes('write_file') && offered.includes('finish'));
      // The tools listed after the server's list_changed (registered once the client's capabilities are known).
      const started = ofType(ev, 'mcp.server').filter((e) => e.status === 'started');
      assert.deepEqual(started.map((e) => e.server).sort(), ['everything', 'memory']);
      assert.ok(started.find((e) => e.server === 'everything')!.tools!.includes('get-roots-list'), 'roots offered: the server registered its roots tool');
      assert.deepEqual(started.map((e) => e.sandbox), [sandboxName, sandboxName]);
      // Results as each provider carries them.
      assert.match(r.result(1).text, /Echo: hello mcp/);
      const image = r.result(2);
      assert.match(image.text, /\[image 1: image\/png image, [\d.]+ (KB|B)\]/);
      if (kind === 'anthropic') assert.deepEqual(image.images, ['image/png']);
      else assert.match(image.text, /\[image 1 \(image\/png, \d+ bytes\) is not shown: /);
      assert.match(r.result(3).text, /\[resource demo:\/\/resource\/dynamic\/text\/2 \(text\/plain\)\]\nResource 2: This is a plaintext resource/);
      assert.match(r.result(5).text, /"name": ?"Ensemble"[\s\S]*uses MCP/);
      // The file the memory server wrote is the task's, reviewable like a command's change.
      const changed = ofType(ev, 'file.changed').filter((e) => e.path === 'memory.jsonl');
      assert.deepEqual(changed.map((e) => [e.commandId, e.change, e.taskId]), [['m4', 'created', 't1']]);
      // Logged: calls, decisions, results; the agent's step; the transcript.
      assert.deepEqual(ofType(ev, 'mcp.called').map((e) => `${e.server}/${e.tool}`), ['everything/echo', 'everything/get-tiny-image', 'everything/get-resource-reference', 'memory/create_entities', 'memory/read_graph']);
      assert.equal(ofType(ev, 'mcp.called')[0]!.arguments, '{"message":"hello mcp"}');
      assert.ok(ofType(ev, 'mcp.decided').every((d) => d.decision === 'allowed' && d.by === 'policy'));
      assert.ok(ofType(ev, 'mcp.result').every((d) => d.ok && d.durationMs >= 0));
      assert.deepEqual(ofType(ev, 'mcp.result')[3]!.files, [{ path: 'memory.jsonl', change: 'created' }]);
      const tools = foldTranscript(ev).agents[state.tasks.t1!.agentId!]!.filter((e) => e.kind === 'tool');
      assert.ok(tools.some((e) => e.kind === 'tool' && e.tool === 'mcp__everything__echo' && e.summary === 'everything/echo {"message":"hello mcp"}' && e.ok === true), JSON.stringify(tools[0]));
      assert.match(describeEvent(ofType(ev, 'mcp.called')[0]!)!, /everything\/echo/);
      // While the call runs, the agent's step says what it calls.
      const decidedAt = ev.findIndex((e) => e.type === 'mcp.decided');
      assert.equal(foldEvents(ev.slice(0, decidedAt + 1)).agents[state.tasks.t1!.agentId!]!.step, 'calling everything/echo');
      // Reported per server; stopped with the session.
      const report = reportFromEvents(ev);
      assert.deepEqual(report.mcp.map((m) => [m.server, m.transport, m.calls, m.errors, m.denied]).sort(), [['everything', 'stdio', 3, 0, 0], ['memory', 'stdio', 2, 0, 0]]);
      assert.ok(report.mcp.every((m) => typeof m.durationMs === 'number'));
      assert.deepEqual(ofType(ev, 'mcp.server').filter((e) => e.status === 'stopped').map((e) => e.server).sort(), ['everything', 'memory']);
      const review = reviewSession(r.workspace, r.handle.sessionId, new NodeFileStore(r.workspace));
      assert.equal((await review.revert('memory.jsonl')).ok, true);
      assert.equal(fs.existsSync(memoryFile), false);
    });
  }

  const openai = (turns: FakeAnswer[], extra: Record<string, unknown>, opts: { deps?: Partial<EngineDeps>; workspace?: string; selection?: string[] } = {}) => session('openai', 'openai', turns, extra, opts);
  const everything = { everything: stdio(SERVERS.everything, ['stdio']) };

  it('asks the user through the approval port (once, for the session, deny); nobody to ask means denied; read-only tools may run unasked', async () => {
    const asked: McpApprovalRequest[] = [];
    const answers: Record<string, CommandApproval> = { echo: 'once', 'get-sum': 'session', 'toggle-simulated-logging': 'deny' };
    const approveMcp = async (req: McpApprovalRequest): Promise<CommandApproval> => (asked.push(req), answers[req.tool] ?? 'deny');
    const r = openai(
      [call('mcp__everything__echo', { message: 'a' }), call('mcp__everything__get-sum', { a: 1, b: 2 }), call('mcp__everything__get-sum', { a: 3, b: 4 }), call('mcp__everything__toggle-simulated-logging'), call('mcp__everything__get-env')],
      { mcpServers: everything, mcp: { run: 'ask', allow: ['everything/get-env'] } },
      { deps: { approveMcp }, selection: ['everything'] },
    );
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.deepEqual(asked.map((a) => a.tool), ['echo', 'get-sum', 'toggle-simulated-logging']);
    assert.deepEqual({ ...asked[0], description: typeof asked[0]!.description }, { server: 'everything', tool: 'echo', arguments: '{"message":"a"}', description: 'string', readOnly: true, role: 'a', agentId: asked[0]!.agentId, taskId: 't1', taskTitle: 'Task t1' });
    const decided = ofType(r.events(), 'mcp.decided').map((d) => [d.decision, d.by, d.scope ?? '-']);
    assert.deepEqual(decided, [['approved', 'user', 'once'], ['approved', 'user', 'session'], ['approved', 'user', 'session'], ['denied', 'user', '-'], ['allowed', 'policy', '-']]);
    assert.match(r.result(2).text, /The sum of 1 and 2 is 3/);
    assert.match(r.result(4).text, /everything\/toggle-simulated-logging was not called: the user denied it/);
    assert.equal(ofType(r.events(), 'mcp.result').length, 4);
    assert.deepEqual(reportFromEvents(r.events()).mcp.map((m) => [m.calls, m.denied]), [[4, 1]]);

    // Nobody to ask: denied, and the agent goes on; allowReadOnly lets the read-only echo run.
    const none = openai([call('mcp__everything__echo', { message: 'b' }), call('mcp__everything__toggle-simulated-logging')], { mcpServers: everything, mcp: { run: 'ask', allowReadOnly: true } }, { selection: ['everything'] });
    assert.equal((await none.handle.done).status, 'completed');
    assert.match(none.result(1).text, /Echo: b/);
    assert.match(none.result(2).text, /not called: it matches no pattern of mcp\.allow and nobody can be asked \(no terminal\)/);
    assert.deepEqual(ofType(none.events(), 'mcp.decided').map((d) => d.reason), ['the server marks the tool read-only, and mcp.allowReadOnly is true', 'it matches no pattern of mcp.allow and nobody can be asked (no terminal)']);
  });

  it('offers nothing under mcp.run "never", nor to a role that selects nothing (no server started), and only the selected tools', async () => {
    const never = openai([call('mcp__everything__echo', { message: 'x' })], { mcpServers: everything, mcp: { run: 'never' } }, { selection: ['everything'] });
    assert.equal((await never.handle.done).status, 'completed');
    assert.ok(never.requests().every((q) => !q.toolNames.some((n) => n.startsWith('mcp__'))));
    assert.match(never.result(1).text, /Unknown tool "mcp__everything__echo"/);
    assert.equal(ofType(never.events(), 'mcp.server').length, 0);

    const unselected = openai([], { mcpServers: everything, mcp: { run: 'always' } }, { selection: [] });
    assert.equal((await unselected.handle.done).status, 'completed');
    assert.equal(ofType(unselected.events(), 'mcp.server').length, 0, 'a server no role selects is never started');

    const one = openai([call('mcp__everything__get-sum', { a: 1, b: 1 })], { mcpServers: everything, mcp: { run: 'always' } }, { selection: ['everything/echo', 'everything/get-t*'] });
    assert.equal((await one.handle.done).status, 'completed');
    assert.deepEqual(one.requests()[0]!.toolNames.filter((n) => n.startsWith('mcp__')).sort(), ['mcp__everything__echo', 'mcp__everything__get-tiny-image']);
    assert.match(one.result(1).text, /Unknown tool "mcp__everything__get-sum"/);
  });

  it('a server that crashes, hangs or answers garbage is a tool error for that call, never the end of the session; a crashed one starts again', async () => {
    const r = openai(
      [call('mcp__crash__crash'), call('mcp__crash__ping'), call('mcp__hang__hang'), call('mcp__garbage__garbage'), call('mcp__hang__ping')],
      { mcpServers: { crash: stdio(SERVERS.test, ['crash']), hang: stdio(SERVERS.test, ['hang']), garbage: stdio(SERVERS.test, ['garbage']) }, mcp: { run: 'always', timeoutMs: 2500 } },
      { selection: ['crash', 'hang', 'garbage'] },
    );
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.equal(state.tasks.t1!.status, 'completed');
    assert.match(r.result(1).text, /crash\/crash failed: the server stopped during the call: it exited with code 3; it said: fatal: the test server crashes on purpose/);
    assert.match(r.result(2).text, /^pong/);
    assert.match(r.result(3).text, /hang\/hang failed: it did not answer within 2500 ms \(mcp\.timeoutMs\); the call was cancelled/);
    assert.match(r.result(4).text, /garbage\/garbage failed: /);
    assert.match(r.result(5).text, /^pong/, 'the hung server still answers its other tools');
    const ev = r.events();
    assert.deepEqual(ofType(ev, 'mcp.server').filter((e) => e.server === 'crash').map((e) => e.status), ['started', 'exited', 'started', 'stopped']);
    assert.deepEqual(ofType(ev, 'mcp.result').map((e) => [e.ok, !!e.timedOut]), [[false, false], [true, false], [false, true], [false, false], [true, false]]);
    const report = reportFromEvents(ev);
    assert.deepEqual(Object.fromEntries(report.mcp.map((m) => [m.server, [m.calls, m.errors, m.starts]])), { crash: [2, 1, 2], hang: [2, 1, 1], garbage: [1, 1, 1] });
    assert.match(report.mcp.find((m) => m.server === 'crash')!.lastError ?? '', /exited with code 3/);
  });

  it('honours list_changed: a tool the server adds mid-session is offered from the next turn; what the server writes is the task\'s', async () => {
    const r = openai([call('mcp__grow__unlock'), call('mcp__grow__unlocked', { word: 'open' }), call('mcp__grow__write', { name: 'out.txt', text: 'from mcp' })], { mcpServers: { grow: stdio(SERVERS.test, ['grow']) }, mcp: { run: 'always' } }, { selection: ['grow'] });
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    const names = r.requests().map((q) => q.toolNames.filter((n) => n.startsWith('mcp__grow__')).sort().join(','));
    assert.ok(!names[0]!.includes('unlocked'), names[0]);
    assert.ok(names[1]!.includes('mcp__grow__unlocked'), names[1]);
    assert.match(r.result(2).text, /unlocked says open/);
    assert.deepEqual(ofType(r.events(), 'mcp.server').map((e) => e.status), ['started', 'tools_changed', 'stopped']);
    assert.equal(fs.readFileSync(path.join(r.workspace, 'out.txt'), 'utf8'), 'from mcp');
    assert.match(r.result(3).text, /Files it changed: out\.txt \(created\)/);
    assert.deepEqual(reportFromEvents(r.events()).files.map((f) => [f.path, f.change, f.task]), [['out.txt', 'created', 't1']]);
  });

  it('gives a stdio server its own env and the allow-listed base, never a key it was not given; secrets stay out of the log', async () => {
    const canaries = { OPENAI_API_KEY: 'sk-canary-openai-0123456789abcdef', SOME_SETTING: 'canary-plain-value-42' };
    const saved = Object.fromEntries(Object.keys(canaries).map((k) => [k, process.env[k]]));
    Object.assign(process.env, canaries);
    try {
      const r = openai([call('mcp__grow__env'), call('mcp__grow__ping', { token: 'ghp_argument_secret_0123456789' })], { mcpServers: { grow: stdio(SERVERS.test, ['grow'], { env: { GITHUB_TOKEN: 'ghp-configured-secret-0123456789', MODE: 'test' } }) }, mcp: { run: 'always' } }, { selection: ['grow'] });
      assert.equal((await r.handle.done).status, 'completed');
      const env = JSON.parse(r.result(1).text.split('\n')[0]!) as Record<string, string>;
      assert.equal(env.OPENAI_API_KEY, undefined);
      assert.equal(env.SOME_SETTING, undefined);
      // The server has the token it was given; the model is sent it redacted (the session's redactor knows it).
      assert.equal(env.GITHUB_TOKEN, '[redacted]');
      assert.equal(env.MODE, 'test');
      assert.ok(env.PATH);
      const log = fs.readFileSync(path.join(r.handle.dir, 'events.jsonl'), 'utf8');
      assert.doesNotMatch(log, /ghp-configured-secret|ghp_argument_secret|canary/);
      assert.equal(ofType(r.events(), 'mcp.called')[1]!.arguments, '{"token":"[hidden]"}');
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('reaches server-everything over streamable HTTP with its headers (redacted from the log)', async () => {
    const http = await everythingOverHttp();
    try {
      for (const { kind, fake: fk } of KINDS) {
        const r = session(kind, fk, [call('mcp__web__echo', { message: 'over http' }), call('mcp__web__get-tiny-image')], { mcpServers: { web: { url: http.url, headers: { Authorization: 'Bearer web-secret-token-0123456789' } } }, mcp: { run: 'always' } }, { selection: ['web'] });
        const state = await r.handle.done;
        assert.equal(state.status, 'completed', `${kind}: ${state.error}`);
        assert.match(r.result(1).text, /Echo: over http/);
        assert.equal(ofType(r.events(), 'mcp.server')[0]!.transport, 'http');
        if (kind === 'anthropic') assert.deepEqual(r.result(2).images, ['image/png']);
        assert.doesNotMatch(fs.readFileSync(path.join(r.handle.dir, 'events.jsonl'), 'utf8'), /web-secret-token/);
      }
    } finally {
      await http.stop();
    }
  });

  it('server-filesystem works in the workspace, and what it writes is reviewable; a long call is stopped with the task, or the session', async () => {
    // Given the workspace as its folder, as users configure it ("args": ["${workspaceFolder}"]); it is offered as the root too.
    const workspace = fs.realpathSync(tempWorkspace());
    const r = openai(
      [call('mcp__fs__write_file', { path: path.join(workspace, 'notes.md'), content: '# notes\n' }), call('mcp__fs__list_allowed_directories')],
      { mcpServers: { fs: stdio(SERVERS.filesystem, [workspace]) }, mcp: { run: 'always' } },
      { selection: ['fs'], workspace },
    );
    const state = await r.handle.done;
    assert.equal(state.status, 'completed', state.error);
    assert.equal(fs.readFileSync(path.join(r.workspace, 'notes.md'), 'utf8'), '# notes\n');
    assert.match(r.result(2).text, new RegExp(fs.realpathSync(r.workspace).replace(/[/\\.]/g, '\\$&')));
    const review = reviewSession(r.workspace, r.handle.sessionId, new NodeFileStore(r.workspace));
    assert.equal((await review.revert('notes.md')).ok, true);
    assert.equal(fs.existsSync(path.join(r.workspace, 'notes.md')), false);

    // A long-running call (server-everything's, 20 s) ends when the user stops the task.
    const long = openai([call('mcp__everything__trigger-long-running-operation', { duration: 20, steps: 4 })], { mcpServers: everything, mcp: { run: 'always' } }, { selection: ['everything'] });
    const sub = long.handle.log.onDidAppend((e) => {
      if (e.type === 'mcp.decided') setTimeout(() => long.handle.stopTask('t1'), 300);
    });
    const started = Date.now();
    const s2 = await long.handle.done;
    sub.dispose();
    assert.ok(Date.now() - started < 15_000, 'stopped long before the call would have ended');
    const res = ofType(long.events(), 'mcp.result')[0]!;
    assert.equal(res.ok, false);
    assert.match(res.error ?? '', /cancelled: its task was stopped/);
    assert.ok(['completed', 'failed'].includes(s2.status), s2.status);

    // Cancelling the session cancels the call and stops the server.
    const cancelled = openai([call('mcp__everything__trigger-long-running-operation', { duration: 20, steps: 4 })], { mcpServers: everything, mcp: { run: 'always' } }, { selection: ['everything'] });
    const sub2 = cancelled.handle.log.onDidAppend((e) => {
      if (e.type === 'mcp.decided') setTimeout(() => cancelled.handle.cancel(), 300);
    });
    const s3 = await cancelled.handle.done;
    sub2.dispose();
    assert.equal(s3.status, 'cancelled');
    assert.match(ofType(cancelled.events(), 'mcp.result')[0]!.error ?? '', /cancelled: the session was cancelled/);
    assert.deepEqual(ofType(cancelled.events(), 'mcp.server').map((e) => e.status), ['started', 'stopped']);
  });
});
