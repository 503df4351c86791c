// Conversations that never overflow (issue 21): an agent that reads many files on a long task has its
// conversation compacted to fit its model's context window — old tool results elided to one line, then
// a summary written by the same model — and a provider's own "too long" answer leads to compaction and
// a retry on the same provider, never a switch or an escalation carrying the same conversation. The
// sessions run the real SDKs against the wire-exact fakes, which refuse a request over the window as the
// provider does and check every request's tool-call pairing as the provider does (a 400 otherwise).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChatMessage, ChatRequest, ToolSpec } from '../../src/core/ports';
import type { EnsembleEvent, EventOf } from '../../src/core/events';
import { startFakeServer, type FakeKind } from '../../src/fakes/index';
import type { FakeReply, FakeRequest, FakeServer } from '../../src/fakes/script';
import { anthropicConversationError } from '../../src/fakes/anthropic';
import { geminiConversationError } from '../../src/fakes/gemini';
import { openaiConversationError } from '../../src/fakes/openai';
import { toAnthropicMessages } from '../../src/providers/anthropic';
import { toGeminiContents } from '../../src/providers/gemini';
import { toOpenAIMessages } from '../../src/providers/openai';
import { createProvider, type ProviderKind } from '../../src/providers/index';
import { buildReport, renderMarkdown } from '../../src/core/fold/report';
import { foldEvents } from '../../src/core/fold/state';
import { foldTranscript } from '../../src/core/fold/transcript';
import { describeEvent } from '../../src/core/fold/narrate';
import { transcriptRows } from '../../webview/rows';
import { ModelCaller } from '../../src/core/session/caller';
import { Compactor, ContextWindows, DEFAULT_CONTEXT_WINDOW, SUMMARY_SYSTEM } from '../../src/core/session/compaction';
import { pricingFor } from '../../src/core/money/pricing';
import { resolveConfig } from '../../src/core/config';
import { resumeSession } from '../../src/core/session/session';
import { NodeFileStore } from '../../src/node/file-store';
import { NodeCommandRunner } from '../../src/node/command-runner';
import { systemClock } from '../../src/core/ports';
import { CONTINUE_NUDGE } from '../../src/core/session/prompts';
import { conv, planStep, ScriptedProvider, turn, type Step } from '../helpers/scripted';
import { ofType, run, tempWorkspace, testConfig } from '../helpers/session';
import { runWithFakes } from '../helpers/fake-session';
import { ledger } from '../helpers/ledger';

/** A source file of `bytes` characters, different for each `n`. */
function sourceFile(n: number, bytes = 12 * 1024): string {
  const lines: string[] = [`// module ${n}`];
  for (let i = 0; lines.join('\n').length < bytes; i++) lines.push(`export function f${n}_${i}(a, b) { return a * ${i} + b - ${n}; } // helper ${i} of module ${n}`);
  return lines.join('\n').slice(0, bytes);
}

function workspaceWith(files: number, bytes = 12 * 1024): string {
  const ws = tempWorkspace();
  fs.mkdirSync(path.join(ws, 'src'));
  for (let i = 1; i <= files; i++) fs.writeFileSync(path.join(ws, 'src', `m${i}.js`), sourceFile(i, bytes));
  fs.writeFileSync(path.join(ws, 'AGENTS.md'), 'RULE-7: every module keeps its helpers pure.\n');
  return ws;
}

const traceOf = (req: FakeRequest) => req.trace ?? '';
const turnOf = (req: FakeRequest) => Number(traceOf(req).split('#')[1]);
const NOTES = 'Notes: the modules read so far each export helper functions f<n>_<i>; remaining: the rest, then SUMMARY.md.';

/**
 * A model that reads src/m1.js … src/m<files>.js, one per turn (`say`: with that many characters of
 * its own words each turn), then writes SUMMARY.md and finishes; asked for a summary, it answers notes.
 */
function reader(files: number, say = 0) {
  return (req: FakeRequest): FakeReply => {
    if (traceOf(req).startsWith('summary/')) return { kind: 'reply', text: NOTES };
    const n = turnOf(req);
    const text = say ? `Turn ${n}: ${'I check how this module fits with the others before going on. '.repeat(Math.ceil(say / 62)).slice(0, say)}` : undefined;
    if (n <= files) return { kind: 'reply', text, toolCalls: [{ name: 'read_file', arguments: { path: `src/m${n}.js` } }] };
    if (n === files + 1) return { kind: 'reply', toolCalls: [{ name: 'write_file', arguments: { path: 'SUMMARY.md', content: `${files} modules read\n` } }] };
    return { kind: 'reply', toolCalls: [{ name: 'finish', arguments: { summary: `read ${files} modules` } }] };
  };
}

const orchestrator = (req: ChatRequest): Step => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { error: { code: 'bad_request', retryable: false, message: `unexpected ${req.trace}` } });
const untouchable = (): Step => ({ error: { code: 'bad_request', retryable: false, message: 'the fallback must not be asked' } });

/** Role a on p1 (a real SDK) with the scripted p2 as its fallback, so that a switch would show. */
function config(extra: { contextWindow?: number; maxOutputTokens?: number } = {}) {
  const a = { provider: 'p1', model: 'm-1', ...(extra.contextWindow ? { contextWindow: extra.contextWindow } : {}), fallback: { provider: 'p2', model: 'm-2' } };
  return testConfig({ roles: { a, b: { provider: 'p2', model: 'm-2' } }, maxTurns: 80, ...(extra.maxOutputTokens ? { maxOutputTokens: extra.maxOutputTokens } : {}) });
}

const KINDS: { kind: ProviderKind; fake: FakeKind }[] = [
  { kind: 'openai', fake: 'openai' },
  { kind: 'anthropic', fake: 'anthropic' },
  { kind: 'gemini', fake: 'gemini' },
];

/** The fake's count of a request's prompt, as it refuses and bills it: its body's characters ÷ 4. */
const fakeTokens = (req: FakeRequest) => Math.ceil(JSON.stringify(req.body).length / 4);

function assertNoDetour(ev: EnsembleEvent[]): void {
  assert.deepEqual(ofType(ev, 'provider.switched').map((e) => e.reason), [], 'no provider switch');
  assert.deepEqual(ofType(ev, 'task.escalated').map((e) => e.reason), [], 'no escalation');
}

describe('context compaction', function () {
  this.timeout(60_000);
  const fakes = new Map<FakeKind, FakeServer>();
  before(async () => {
    for (const fk of ['openai', 'anthropic', 'gemini'] as const) fakes.set(fk, await startFakeServer(fk, () => ({ kind: 'hang' })));
  });
  after(async () => {
    for (const f of fakes.values()) await f.close();
  });
  afterEach(() => {
    for (const f of fakes.values()) f.setContextWindow(undefined);
  });

  describe('the issue: 30 files of 12 KB on a model with a 24k-token window', () => {
    for (const { kind, fake: fk } of KINDS) {
      it(`${kind}: its window configured, the task finishes with old results elided, every request under the window, no switch`, async () => {
        const fake = fakes.get(fk)!;
        fake.setHandler(reader(30));
        fake.setContextWindow(24_000);
        const before = fake.requests.length;
        const r = runWithFakes('read every module', { orch: orchestrator, p2: untouchable }, { p1: { kind, fake } }, config({ contextWindow: 24_000 }), { workspace: workspaceWith(30) });
        const state = await r.handle.done;
        const ev = r.events();
        assert.equal(state.status, 'completed', state.error);
        assert.equal(state.tasks.t1!.finishedBy?.by, 'role');
        assertNoDetour(ev);
        assert.deepEqual(ofType(ev, 'llm.error').map((e) => e.code), [], 'the provider never refused a prompt');
        const compactions = ofType(ev, 'context.compacted');
        assert.ok(compactions.length >= 10, `${compactions.length} compactions`);
        assert.ok(compactions.every((c) => c.how === 'elided' && c.window === 24_000 && c.trigger === 'estimate' && c.tokensAfter < c.tokensBefore && c.provider === 'p1' && c.taskId === 't1'));
        const sent = fake.requests.slice(before).filter((q) => traceOf(q).startsWith('task/'));
        assert.equal(sent.length, 32);
        assert.ok(Math.max(...sent.map(fakeTokens)) <= 24_000 * 0.9, `peak ${Math.max(...sent.map(fakeTokens))}`);
        // Without compaction the last request would have carried every file: ~30 × 3,100 tokens.
        const report = buildReport(state);
        assert.equal(report.metrics.compactions, compactions.length);
        assert.deepEqual(report.compactions.map((c) => [c.agentId, c.taskId, c.role, c.window, c.elided, c.summarised]), [[state.tasks.t1!.agentId, 't1', 'a', 24_000, compactions.length, 0]]);
        assert.ok(report.compactions[0]!.tokensSaved > 30_000, String(report.compactions[0]!.tokensSaved));
      });

      it(`${kind}: its window unknown, the provider's "too long" answer teaches it: compaction, then the same provider again`, async () => {
        const fake = fakes.get(fk)!;
        fake.setHandler(reader(30));
        fake.setContextWindow(24_000);
        const r = runWithFakes('read every module', { orch: orchestrator, p2: untouchable }, { p1: { kind, fake } }, config(), { workspace: workspaceWith(30) });
        const state = await r.handle.done;
        const ev = r.events();
        assert.equal(state.status, 'completed', state.error);
        assertNoDetour(ev);
        const errors = ofType(ev, 'llm.error');
        assert.deepEqual(errors.map((e) => [e.provider, e.code, e.status, e.retryable]), [['p1', 'context_overflow', 400, false]], 'refused once; then the window is known');
        const at = ev.indexOf(errors[0]!);
        const next = ev.slice(at + 1);
        const compacted = next.find((e): e is EventOf<'context.compacted'> => e.type === 'context.compacted')!;
        assert.deepEqual([compacted.trigger, compacted.window], ['provider', 24_000], 'the window read from the answer');
        const retry = next.find((e): e is EventOf<'llm.request'> => e.type === 'llm.request')!;
        const refused = ev.slice(0, at).reverse().find((e): e is EventOf<'llm.request'> => e.type === 'llm.request')!;
        assert.deepEqual([retry.provider, retry.trace], [refused.provider, refused.trace], 'the same turn, on the same provider');
        assert.ok(next.indexOf(compacted) < next.indexOf(retry));
        assert.match(describeEvent(errors[0]!)!, /context window .*\(compacting, then the same provider again\)/);
      });
    }
  });

  it('a long task whose old turns cannot be elided is summarised by the same model: the call is billed, and the system prompt, the task, the rules and the latest turns survive', async () => {
    const fake = fakes.get('openai')!;
    fake.setHandler(reader(40, 1800));
    fake.setContextWindow(24_000);
    const before = fake.requests.length;
    // Small files (300 B, never elided) and 1,800 characters of the model's own words per turn: only a summary can help.
    const r = runWithFakes('read every module', { orch: orchestrator, p2: untouchable }, { p1: { kind: 'openai', fake } }, config({ contextWindow: 24_000 }), { workspace: workspaceWith(40, 300) });
    const state = await r.handle.done;
    const ev = r.events();
    assert.equal(state.status, 'completed', state.error);
    assertNoDetour(ev);
    const summaries = ofType(ev, 'context.compacted').filter((c) => c.how === 'summarised');
    assert.ok(summaries.length >= 1, 'summarised');
    assert.ok(summaries.every((c) => c.summary === NOTES && c.messages >= 4 && c.tokensAfter < c.tokensBefore));

    // The summary call: its own request and answer, billed to the task like any call.
    const calls = ofType(ev, 'llm.request').filter((e) => e.trace.startsWith('summary/'));
    assert.equal(calls.length, summaries.length);
    assert.match(calls[0]!.trace, /^summary\/task\/t1#\d+$/);
    assert.ok(calls.every((c) => c.provider === 'p1' && c.taskId === 't1' && c.reservedUsd! > 0), 'reserved against the budget');
    const answers = ofType(ev, 'llm.response').filter((e) => calls.some((c) => c.callId === e.callId));
    assert.equal(answers.length, calls.length);
    assert.ok(answers.every((a) => a.costUsd! > 0));
    const all = ofType(ev, 'llm.response').reduce((n, e) => n + e.costUsd!, 0);
    assert.ok(Math.abs(state.money.spentUsd - all) < 1e-9, 'the money fold counts every call, the summaries too');
    const summaryCost = answers.reduce((n, e) => n + e.costUsd!, 0);
    assert.ok(buildReport(state).tasks[0]!.costUsd! >= summaryCost, "in the task's cost");
    assert.equal(ofType(ev, 'agent.text').filter((t) => t.text.includes(NOTES)).length, 0, 'the summary is not something the agent said');
    const asked = fake.requests.slice(before).find((q) => traceOf(q).startsWith('summary/'))!;
    const body = asked.body as { messages: { role: string; content: string }[]; tools?: unknown };
    assert.equal(body.messages[0]!.content, SUMMARY_SYSTEM);
    assert.equal(body.tools, undefined, 'no tools offered to the summariser');
    assert.match(body.messages[1]!.content, /CALL read_file \{"path":"src\/m1\.js"\}/);

    // Every request after the first summary: the same system prompt (with the rules), the task first, the summary after it, the latest turns whole.
    const sent = fake.requests.slice(before).filter((q) => traceOf(q).startsWith('task/'));
    const messages = (q: FakeRequest) => (q.body as { messages: { role: string; content: string | null; tool_calls?: { function: { arguments: string } }[] }[] }).messages;
    const first = messages(sent[0]!);
    assert.match(first[0]!.content!, /RULE-7/);
    const after = sent.filter((q) => turnOf(q) > Number(calls[0]!.trace.split('#')[1]) - 1);
    assert.ok(after.length > 3);
    for (const q of after) {
      const m = messages(q);
      assert.equal(m[0]!.content, first[0]!.content, 'the system prompt and its rules');
      assert.ok(m[1]!.content!.startsWith(first[1]!.content!), 'the task, as it was');
      assert.match(m[1]!.content!, /Summary of your earlier work on this task[\s\S]*Notes: the modules read so far/);
      const n = turnOf(q);
      if (n > 2 && n <= 41) {
        // The two latest turns: the model's calls and the files' whole content.
        const results = m.filter((x) => x.role === 'tool').slice(-2).map((x) => x.content);
        assert.deepEqual(results, [sourceFile(n - 2, 300), sourceFile(n - 1, 300)].map((t) => t), `turn ${n}`);
        const said = m.filter((x) => x.role === 'assistant').slice(-2).map((x) => x.content);
        assert.ok(said.every((s) => s?.startsWith(`Turn `)), 'their words');
      }
    }
    assert.ok(Math.max(...sent.map(fakeTokens)) <= 24_000 * 0.9);
    const report = buildReport(state);
    assert.equal(report.compactions[0]!.summarised, summaries.length);
    assert.match(renderMarkdown(report), /## Context compaction[\s\S]*\| a-\d \(a\) \| t1 \| p1\/m-1 \| 24,000 \|/);
  });

  it('resumes a session interrupted after a compaction: the task starts again from its prompt, and the report counts both runs', async () => {
    const fake = fakes.get('anthropic')!;
    const workspace = workspaceWith(12);
    fake.setContextWindow(24_000);
    let cancel: (() => void) | undefined;
    fake.setHandler((req) => {
      if (turnOf(req) === 7) cancel?.(); // after the first compactions
      return reader(12)(req);
    });
    const cfg = config({ contextWindow: 24_000 });
    const first = runWithFakes('read every module', { orch: orchestrator, p2: untouchable }, { p1: { kind: 'anthropic', fake } }, cfg, { workspace });
    cancel = () => first.handle.cancel('test stop');
    const s1 = await first.handle.done;
    assert.equal(s1.status, 'cancelled');
    const before = ofType(first.events(), 'context.compacted').length;
    assert.ok(before >= 1, 'compacted before the cancel');

    cancel = undefined;
    const sent = fake.requests.length;
    const resolveP1 = createProvider({ id: 'p1', kind: 'anthropic', apiKey: 'k', baseUrl: fake.baseUrl, timeoutMs: 5000 });
    const p2 = new ScriptedProvider('p2', untouchable);
    const handle = resumeSession({ dir: first.handle.dir, config: cfg, deps: { workspace, store: new NodeFileStore(workspace), runner: new NodeCommandRunner(), resolve: (id) => (id === 'p1' ? resolveP1 : id === 'p2' ? p2 : undefined) } });
    const s2 = await handle.done;
    assert.equal(s2.status, 'completed', s2.error);
    const ev = handle.log.readAll();
    const resumed = ev.slice(ev.findIndex((e) => e.type === 'session.resumed'));
    // Rebuilt as today: the task's conversation starts again from its prompt (which says it was interrupted).
    const again = fake.requests.slice(sent).find((q) => traceOf(q) === 'task/t1#1')!;
    const m = (again.body as { messages: { role: string; content: string }[] }).messages;
    assert.equal(m.length, 1);
    assert.match(m[0]!.content, /interrupted earlier and is being restarted/);
    assert.ok(ofType(resumed, 'context.compacted').length >= 1, 'compacted again in the new run');
    const report = buildReport(foldEvents(ev));
    assert.equal(report.metrics.compactions, ofType(ev, 'context.compacted').length);
    assert.equal(report.compactions.length, 2, 'one entry per agent: the first run’s and the resumed one’s');
    assert.ok(report.compactions.every((c) => c.taskId === 't1'));
  });

  it('a conversation that cannot fit even compacted is a clear failure: no request, no switch, the escalation says why', async () => {
    const fake = fakes.get('gemini')!;
    fake.setHandler(reader(1));
    const before = fake.requests.length;
    // The agent's system prompt and tools alone are ~2,000 tokens: a 1,024-token window cannot hold them.
    const r = runWithFakes('read', { orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { toolCalls: [{ name: 'skip_task', arguments: { taskId: 't1', reason: 'the model is too small' } }] }), p2: untouchable }, { p1: { kind: 'gemini', fake } }, config({ contextWindow: 1024 }), { workspace: workspaceWith(1) });
    await r.handle.done;
    const ev = r.events();
    assert.equal(fake.requests.length, before, 'nothing sent that would be refused');
    assert.equal(ofType(ev, 'provider.switched').length, 0);
    const esc = ofType(ev, 'task.escalated');
    assert.equal(esc.length, 1);
    assert.match(esc[0]!.reason, /^the conversation does not fit p1\/m-1's context window of 1,024 tokens: the system prompt, the task and the latest turn alone need about [\d,]+ tokens/);
  });

  it('a provider that keeps refusing a compacted conversation: the agent gives up after 3 refusals in a row, never switching', async () => {
    let n = 0;
    const p1 = (req: ChatRequest): Step => {
      if (conv(req) !== 'task/t1') return { text: 'notes' };
      return turn(req) <= 6 && ++n <= 6 ? { toolCalls: [{ name: 'read_file', arguments: { path: `src/m${turn(req)}.js` } }] } : { error: { code: 'context_overflow', status: 400, retryable: false, message: 'too long' } };
    };
    const r = run('read', { orch: (req) => (conv(req) === 'plan' ? planStep([{ id: 't1', role: 'a' }]) : { toolCalls: [{ name: 'skip_task', arguments: { taskId: 't1', reason: 'too long for it' } }] }), p1, p2: untouchable }, { config: config(), workspace: workspaceWith(8) });
    await r.handle.done;
    const ev = r.events();
    const refusals = ofType(ev, 'llm.error').filter((e) => e.code === 'context_overflow');
    assert.equal(refusals.length, 4, 'the first refusal and three more after compacting');
    assert.equal(ofType(ev, 'provider.switched').length, 0);
    const esc = ofType(ev, 'task.escalated');
    assert.equal(esc.length, 1);
    assert.match(esc[0]!.reason, /p1\/m-1 refused the conversation as larger than its context window 4 times, even compacted/);
    // Each refusal taught a smaller window: the prompts shrank.
    const sizes = ofType(ev, 'context.compacted').map((c) => c.tokensAfter);
    assert.ok(sizes.length >= 3 && sizes.every((x, i) => i === 0 || x < sizes[i - 1]!), sizes.join(' > '));
  });

  for (const { kind, fake: fk } of KINDS) {
    it(`${kind}: an overflow recorded in a cassette (status and message) replays as an overflow, with its numbers`, async () => {
      // What CassetteRecorder keeps of it: the status and the adapter's message, which quotes the provider's words.
      const fake = fakes.get(fk)!;
      fake.setHandler(() => ({ kind: 'overflow', promptTokens: 30_000, window: 24_000 }));
      const provider = createProvider({ id: kind, kind, apiKey: 'k', baseUrl: fake.baseUrl, timeoutMs: 5000 });
      const refuse = async () => {
        try {
          for await (const _ of provider.chat({ model: 'm', system: 's', messages: [{ role: 'user', content: 'hi' }], tools: [], maxOutputTokens: 10 }, new AbortController().signal)) {
            // drain
          }
        } catch (e) {
          return e as { code: string; status: number; message: string; overflow?: unknown };
        }
        assert.fail('not refused');
      };
      const recorded = await refuse();
      fake.setHandler(() => ({ kind: 'error', status: recorded.status, message: recorded.message }));
      const replayed = await refuse();
      assert.deepEqual([replayed.code, replayed.overflow], ['context_overflow', { promptTokens: 30_000, window: 24_000 }]);
    });
  }

  it('planning refused as too long is a clear failure, not a switch with the same request', async () => {
    const r = run('plan', { orch: () => ({ error: { code: 'context_overflow', status: 400, retryable: false, message: 'prompt is too long: 300000 tokens > 200000 maximum' } }), p1: untouchable, p2: untouchable });
    const state = await r.handle.done;
    assert.equal(state.status, 'failed');
    assert.match(state.error ?? '', /the planning request is larger than orch\/o-1's context window/);
    assert.equal(ofType(r.events(), 'provider.switched').length, 0);
  });
});

describe('context windows', () => {
  it("the user's contextWindow wins over the price library's; the library over the default; a provider's refusal only lowers it", () => {
    const cfg = resolveConfig({
      orchestrator: { provider: 'openai', model: 'gpt-5' },
      roles: { a: { provider: 'openai', model: 'gpt-5-mini', contextWindow: 100_000 }, b: { provider: 'openai', model: 'gpt-5-mini', contextWindow: 64_000, fallback: { provider: 'anthropic', model: 'claude-sonnet-4-5', contextWindow: 50_000 } }, c: { provider: 'gemini', model: 'gemini-2.5-pro' } },
    });
    const pricing = pricingFor(cfg);
    const w = new ContextWindows(cfg, (ref) => pricing.contextWindow(ref));
    assert.deepEqual(w.of({ provider: 'openai', model: 'gpt-5' }), { tokens: 400_000, source: 'library' });
    assert.deepEqual(w.of({ provider: 'openai', model: 'gpt-5-mini' }), { tokens: 64_000, source: 'config' }, 'the smallest the configuration gives');
    assert.deepEqual(w.of({ provider: 'anthropic', model: 'claude-sonnet-4-5' }), { tokens: 50_000, source: 'config' });
    assert.equal(pricing.contextWindow({ provider: 'anthropic', model: 'claude-sonnet-4-5' }), 200_000);
    // The library gives no window for gemini-2.5-pro: the default.
    assert.deepEqual(w.of({ provider: 'gemini', model: 'gemini-2.5-pro' }), { tokens: DEFAULT_CONTEXT_WINDOW, source: 'default' });
    w.learn({ provider: 'openai', model: 'gpt-5' }, 272_000);
    assert.deepEqual(w.of({ provider: 'openai', model: 'gpt-5' }), { tokens: 272_000, source: 'provider' });
    w.learn({ provider: 'openai', model: 'gpt-5' }, 300_000);
    assert.equal(w.of({ provider: 'openai', model: 'gpt-5' }).tokens, 272_000, 'never raised');
  });

  it('rejects a contextWindow that is not a whole number of at least 1,024 tokens', () => {
    assert.throws(() => resolveConfig({ roles: { a: { provider: 'openai', model: 'gpt-5', contextWindow: 100 } } }), /roles\.a\.contextWindow/);
    assert.throws(() => resolveConfig({ orchestrator: { provider: 'openai', model: 'gpt-5', contextWindow: 'big' } }), /orchestrator\.contextWindow/);
  });
});

describe('elision keeps every provider’s conversation valid', () => {
  const TOOLS: ToolSpec[] = [{ name: 'read_file', description: 'Read', parameters: { type: 'object', properties: { path: { type: 'string' } } } }];

  /**
   * A task, then turns of several parallel tool calls (a read, a write with a long content) and a user's
   * note; `small`: short results and arguments (nothing worth eliding) and the model's words at length.
   */
  function conversation(turns: number, small = false): ChatMessage[] {
    const m: ChatMessage[] = [{ role: 'user', content: 'Your task: read the modules.' }];
    for (let t = 1; t <= turns; t++) {
      const calls = [
        { id: `r${t}`, name: 'read_file', arguments: { path: `src/m${t}.js` } },
        { id: `w${t}`, name: 'write_file', arguments: { path: `out/${t}.js`, content: sourceFile(100 + t, small ? 200 : 3000) } },
        { id: `s${t}`, name: 'search_files', arguments: { pattern: 'helper', path: 'src' } },
      ];
      // As Anthropic sent the turn: thinking, then the tool calls (the adapter sends these blocks back verbatim).
      const parts = [{ type: 'thinking', thinking: 'x', signature: 'sig' }, { type: 'text', text: `turn ${t}` }, ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments }))];
      const words = small ? `turn ${t}: ${'I compare this module with the ones before it and note what differs. '.repeat(22)}` : `turn ${t}`;
      // Every third turn carries thinking blocks (provider data), which must go back unchanged.
      m.push({ role: 'assistant', content: words, toolCalls: calls, ...(t % 3 === 2 ? { providerData: { provider: 'anthropic', model: 'm', parts } } : {}) });
      m.push({ role: 'tool', toolCallId: `r${t}`, name: 'read_file', content: sourceFile(t, small ? 300 : 6000) });
      m.push({ role: 'tool', toolCallId: `w${t}`, name: 'write_file', content: `wrote out/${t}.js` });
      m.push({ role: 'tool', toolCallId: `s${t}`, name: 'search_files', content: Array.from({ length: small ? 4 : 40 }, (_, i) => `src/m${i}.js:${i}: helper ${i}`).join('\n'), isError: false });
      if (t % 3 === 0) m.push({ role: 'user', content: `A message from the user, who is watching your work (take it into account, then carry on with your task):\nnote ${t}` });
    }
    return m;
  }

  function check(messages: ChatMessage[]): void {
    const req: ChatRequest = { model: 'm', system: 's', messages, tools: TOOLS, maxOutputTokens: 100 };
    assert.equal(openaiConversationError(toOpenAIMessages(req) as unknown[]), undefined, 'OpenAI');
    assert.equal(anthropicConversationError(toAnthropicMessages(req, 'anthropic') as unknown[]), undefined, 'Anthropic');
    assert.equal(geminiConversationError(toGeminiContents(req, 'gemini') as unknown[]), undefined, 'Gemini');
  }

  function compactor(window: number, answer: (req: ChatRequest) => Step = () => ({ text: 'the notes' })) {
    const { sink, events, budget } = ledger();
    const provider = new ScriptedProvider('p', answer);
    const caller = new ModelCaller({ sink, clock: systemClock, budget, pricing: pricingFor({ pricing: {}, providers: {} }), resolve: () => provider, retry: { maxRetries: 0, baseBackoffMs: 1, maxBackoffMs: 1 }, providerLimit: () => 1, signal: new AbortController().signal });
    const windows = new ContextWindows({ orchestrator: { provider: 'p', model: 'm' }, roles: { a: { provider: 'p', model: 'm', contextWindow: window } } });
    const c = new Compactor({ agentId: 'a-1', taskId: 't1', system: 's', tools: TOOLS, head: 1, maxOutputTokens: 1000, trace: 'task/t1' }, { caller, sink, windows });
    return { c, events, provider };
  }

  it('old results and long arguments become one line saying what they were; the pairs stay, the latest two turns stay whole', async () => {
    const messages = conversation(9);
    check(messages);
    const original = structuredClone(messages);
    const { c, events, provider } = compactor(24_000);
    const route = { provider: 'p', model: 'm' };
    assert.ok(c.tokens(messages) > c.budget(route).limit);
    await c.fit(messages, route, 10);
    check(messages);
    assert.ok(c.tokens(messages) <= c.budget(route).limit);
    assert.equal(provider.requests.length, 0, 'eliding was enough: no summary call');
    assert.deepEqual(events.map((e) => (e.type === 'context.compacted' ? [e.how, e.trigger] : e.type)), [['elided', 'estimate']]);
    assert.equal(messages.length, original.length, 'nothing removed: every call keeps its result');
    assert.deepEqual(messages[0], original[0], 'the task');
    const lastTwo = messages.findIndex((m, i) => m.role === 'assistant' && i >= messages.length - 10 && m.content === 'turn 8');
    assert.deepEqual(messages.slice(lastTwo), original.slice(lastTwo), 'the latest two turns, with their provider data');
    const read1 = messages.find((m) => m.role === 'tool' && m.toolCallId === 'r1') as Extract<ChatMessage, { role: 'tool' }>;
    assert.equal(read1.content, "[elided to keep the conversation within the model's context window: read_file src/m1.js (whole file) returned 77 lines, 6,000 characters; read it again if you need it]");
    const search1 = messages.find((m) => m.role === 'tool' && m.toolCallId === 's1') as Extract<ChatMessage, { role: 'tool' }>;
    assert.match(search1.content, /^\[elided .*: search_files "helper" in src returned 40 lines, [\d,]+ characters; search again if you need it\]$/);
    const turn1 = messages[1] as Extract<ChatMessage, { role: 'assistant' }>;
    assert.equal(turn1.toolCalls![1]!.arguments.content, "[elided: 3,000 characters, to keep the conversation within the model's context window]");
    assert.equal(turn1.toolCalls![1]!.arguments.path, 'out/1.js', 'short arguments stay');
    const turn2 = messages.find((m) => m.role === 'assistant' && m.content === 'turn 2') as Extract<ChatMessage, { role: 'assistant' }>;
    assert.deepEqual(turn2, original.find((m) => m.role === 'assistant' && m.content === 'turn 2'), 'a turn with provider data goes back unchanged');
    assert.ok(turn2.providerData);
    assert.ok(messages.some((m) => m.role === 'user' && m.content.endsWith('note 3')), "the user's notes stay");
  });

  it('a summary replaces whole turns, after the task; notes of the user are kept verbatim; the pairs stay valid', async () => {
    const messages = conversation(40, true);
    // A turn without tools, the engine's nudge, and a note the user sent meanwhile (added to the nudge).
    messages.splice(5, 0, { role: 'assistant', content: 'Thinking it over.' }, { role: 'user', content: `${CONTINUE_NUDGE}\n\nA message from the user, who is watching your work (take it into account, then carry on with your task):\nnote nudge` });
    const { c, events, provider } = compactor(24_000, () => ({ text: 'I read m1–m38 and wrote out/1–38.js.' }));
    const route = { provider: 'p', model: 'm' };
    await c.fit(messages, route, 41);
    check(messages);
    assert.ok(c.tokens(messages) <= c.budget(route).limit);
    assert.equal(provider.requests.length, 1);
    assert.equal(provider.requests[0]!.trace, 'summary/task/t1#41');
    assert.deepEqual(events.filter((e) => e.type === 'context.compacted').map((e) => e.type === 'context.compacted' && e.how), ['summarised'], 'nothing worth eliding');
    assert.equal(messages[0]!.role, 'user');
    const head = messages[0] as Extract<ChatMessage, { role: 'user' }>;
    assert.ok(head.content.startsWith('Your task: read the modules.\n\nSummary of your earlier work on this task'));
    assert.match(head.content, /I read m1–m38 and wrote out\/1–38\.js\.[\s\S]*The user said during that work \(verbatim\):\n\nA message from the user[^\n]*\nnote nudge\n\n[\s\S]*note 3[\s\S]*note 36/);
    assert.ok(!head.content.includes(CONTINUE_NUDGE), "the engine's nudge is not the user's words");
    assert.equal(messages[1]!.role, 'assistant', 'the latest turns follow, whole');
    assert.match((messages[1] as Extract<ChatMessage, { role: 'assistant' }>).content, /^turn 39: /);

    // Summarised again later: the notes so far go to the summariser, and the new summary replaces the old one.
    for (let t = 41; t <= 80; t++) messages.push(...conversation(1, true).slice(1).map((m) => (m.role === 'assistant' ? { role: "assistant" as const, content: m.content.replace("turn 1:", `turn ${t}:`), toolCalls: m.toolCalls!.map((x) => ({ ...x, id: `${x.id}-${t}` })) } : m.role === 'tool' ? { ...m, toolCallId: `${m.toolCallId}-${t}` } : m)));
    check(messages);
    await c.fit(messages, route, 81);
    check(messages);
    assert.equal(provider.requests.length, 2);
    assert.match(provider.requests[1]!.messages[0]!.content, /^Your notes so far \(from an earlier summary\):\nSummary of your earlier work/);
    const again = (messages[0] as Extract<ChatMessage, { role: 'user' }>).content;
    assert.equal(again.match(/Summary of your earlier work/g)?.length, 1, 'one summary, the latest');
  });

  it('the last turn alone too large: its largest result is elided with a note to read it in parts', async () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Your task.' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'r', name: 'read_file', arguments: { path: 'big.js' } }, { id: 'q', name: 'read_file', arguments: { path: 'small.js', startLine: 1, endLine: 5 } }] },
      { role: 'tool', toolCallId: 'r', name: 'read_file', content: sourceFile(1, 90_000) },
      { role: 'tool', toolCallId: 'q', name: 'read_file', content: sourceFile(2, 500) },
    ];
    const { c } = compactor(24_000);
    await c.fit(messages, { provider: 'p', model: 'm' }, 2);
    check(messages);
    assert.match((messages[2] as Extract<ChatMessage, { role: 'tool' }>).content, /^\[elided: read_file big\.js \(whole file\) returned [\d,]+ lines, 90,000 characters: too large for the model's context window with the rest of the conversation; read it in smaller parts \(startLine\/endLine\)\]$/);
    assert.equal((messages[3] as Extract<ChatMessage, { role: 'tool' }>).content, sourceFile(2, 500), 'the smaller one stays');
  });
});

describe('a compaction in the views', () => {
  const base = { v: 1, ts: Date.parse('2026-12-01T10:00:00Z') };
  const events: EnsembleEvent[] = [
    { ...base, seq: 1, type: 'session.started', sessionId: 's', goal: 'g', config: { orchestrator: { provider: 'o', model: 'm' }, roles: {}, maxConcurrency: 1 } },
    { ...base, seq: 2, type: 'agent.spawned', agentId: 'backend-1', role: 'backend', provider: 'openai', model: 'gpt-5', taskId: 't1' },
    { ...base, seq: 3, type: 'context.compacted', agentId: 'backend-1', taskId: 't1', provider: 'openai', model: 'gpt-5', window: 24_000, tokensBefore: 18_350, tokensAfter: 10_270, how: 'elided', messages: 2, trigger: 'estimate' },
    { ...base, seq: 4, type: 'context.compacted', agentId: 'backend-1', taskId: 't1', provider: 'openai', model: 'gpt-5', window: 24_000, tokensBefore: 15_000, tokensAfter: 4_000, how: 'summarised', messages: 30, trigger: 'provider', summary: 'I read the modules.' },
  ];

  it('the transcript, the panel, the progress and the report say what was compacted', () => {
    const rows = transcriptRows(foldTranscript(events).agents['backend-1']!);
    assert.deepEqual(rows.map((r) => [r.label, r.text, r.tone, r.detail, r.detailLabel]), [
      ['Context compacted', "openai/gpt-5: conversation compacted to fit the model's window of 24,000 tokens: tool output elided from 2 messages, ~18,350 → ~10,270 tokens", 'muted', undefined, undefined],
      ['Conversation summarised', 'openai/gpt-5: conversation compacted after the provider refused the prompt as too long: 30 earlier messages summarised by the model, ~15,000 → ~4,000 tokens', 'muted', 'I read the modules.', 'Show the summary'],
    ]);
    assert.equal(describeEvent(events[2]!), "  ⇲ t1: conversation compacted to fit the model's window of 24,000 tokens: tool output elided from 2 messages, ~18,350 → ~10,270 tokens");
    const r = buildReport(foldEvents(events));
    assert.equal(r.metrics.compactions, 2);
    assert.deepEqual(r.compactions, [{ agentId: 'backend-1', taskId: 't1', role: 'backend', provider: 'openai', model: 'gpt-5', window: 24_000, elided: 1, summarised: 1, messages: 32, tokensSaved: 19_080 }]);
    const md = renderMarkdown(r);
    assert.match(md, /context compactions: 2/);
    assert.match(md, /\| backend-1 \(backend\) \| t1 \| openai\/gpt-5 \| 24,000 \| 1 \| 1 \| 32 \| 19,080 \|/);
    assert.doesNotMatch(renderMarkdown(buildReport(foldEvents(events.slice(0, 2)))), /Context compaction/, 'no section when nothing was compacted');
  });
});
