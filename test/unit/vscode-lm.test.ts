// The `vscode-lm` adapter (src/vscode/lmProvider.ts) in plain Node, against a small hand-written
// stand-in of VS Code's Language Model API (test/helpers/lm-host.ts): message conversion, error mapping,
// streaming, token counting, cancellation, the consent request at Start, and the default line-up. The same
// adapter runs against a real VS Code's API in the extension-host suite (test/vscode/suite/lm.test.ts).

import * as assert from 'node:assert/strict';
import { type ChatChunk, type ChatMessage as EngineMessage, type ChatRequest, type ToolSpec } from '../../src/core/ports';
import { askModelAccess, createLmProvider, JUSTIFICATION, toLmMessages, toProviderError } from '../../src/vscode/lmProvider';
import { defaultLineup, lmBindings, matchModel, withModelWindows, type LmModelInfo } from '../../src/vscode/lmLineup';
import { resolveConfig } from '../../src/core/config';
import { ChatMessage, lmError, lmHost, namedError, ScriptedModel, TextPart, ToolCallPart, ToolResultPart, type Answer } from '../helpers/lm-host';
import { providerFailure } from '../helpers/provider-error';

const TOOLS: ToolSpec[] = [{ name: 'write_file', description: 'Write a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }];

function request(messages: EngineMessage[], model = 'm-1'): ChatRequest {
  return { model, system: 'You are a test agent.', messages, tools: TOOLS, maxOutputTokens: 1000, trace: 'task/t#1' };
}

async function collect(it: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

const failure = providerFailure;

const answers = (...list: Answer[]) => (_req: unknown, n: number) => list[Math.min(n, list.length - 1)]!;

describe('vscode-lm: the adapter of VS Code\'s Language Model API', () => {
  describe('messages', () => {
    it('puts the system prompt first in a user message, tool results and notes in user messages, tool calls in assistant messages', () => {
      const host = lmHost([]);
      const out = toLmMessages(host, 'SYSTEM', [
        { role: 'user', content: 'the task' },
        { role: 'assistant', content: 'reading', toolCalls: [{ id: 'c1', name: 'read_file', arguments: { path: 'a.js' } }, { id: 'c2', name: 'list_files', arguments: {} }] },
        { role: 'tool', toolCallId: 'c1', name: 'read_file', content: 'x = 1' },
        { role: 'tool', toolCallId: 'c2', name: 'list_files', content: 'no such folder', isError: true },
        { role: 'user', content: 'a note from the user' },
        { role: 'assistant', content: '' },
      ]) as unknown as ChatMessage[];
      assert.deepEqual(out.map((m) => m.role), [1, 2, 1, 2]);
      assert.deepEqual(out[0]!.content, [new TextPart('SYSTEM'), new TextPart('the task')]);
      assert.deepEqual(out[1]!.content, [new TextPart('reading'), new ToolCallPart('c1', 'read_file', { path: 'a.js' }), new ToolCallPart('c2', 'list_files', {})]);
      assert.deepEqual(out[2]!.content, [new ToolResultPart('c1', [new TextPart('x = 1')]), new ToolResultPart('c2', [new TextPart('Error: no such folder')]), new TextPart('a note from the user')]);
      assert.deepEqual(out[3]!.content, [new TextPart('(no reply)')], 'an empty assistant turn is never sent empty');
    });

    it('sends an image an MCP tool returned as a note (the API\'s tool results are text here)', () => {
      const out = toLmMessages(lmHost([]), 'S', [
        { role: 'user', content: 'the task' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'mcp__web__shot', arguments: {} }] },
        { role: 'tool', toolCallId: 'c1', name: 'mcp__web__shot', content: 'the page:\n[image 1: image/png image, 3 B]', images: [{ mimeType: 'image/png', data: 'aGk=' }] },
      ]) as unknown as ChatMessage[];
      assert.deepEqual(out[2]!.content, [new ToolResultPart('c1', [new TextPart("the page:\n[image 1: image/png image, 3 B]\n[image 1 (image/png, 3 bytes) is not shown: VS Code's language model API is sent text only]")])]);
    });
  });

  describe('errors', () => {
    const ctx = { provider: 'vscode', model: 'm-1', maxInputTokens: 64_000, maxOutputTokens: 8192, promptTokens: 70_000, aborted: false };
    const cases: [string, unknown, string, boolean][] = [
      ['NoPermissions', lmError('NoPermissions', "Language model 'x' cannot be used by 'ensemble-dev.ensemble'."), 'permission', false],
      ['Blocked', lmError('Blocked', 'The extension has been temporarily blocked due to making too many requests. Please try again later.'), 'rate_limit', true],
      ['NotFound', lmError('NotFound', "Language model 'x' is unknown."), 'not_found', false],
      ['Copilot ChatQuotaExceeded', namedError('ChatQuotaExceeded', "You've reached your monthly chat messages quota."), 'quota', false],
      ['Copilot ChatRateLimited', namedError('ChatRateLimited', 'Sorry, you have been rate-limited.'), 'rate_limit', true],
      ["Copilot's overflow", new Error('Message exceeds token limit.'), 'context_overflow', false],
      ['a vendor\'s overflow words', new Error('Request Failed: 400 prompt is too long: 210000 tokens > 200000 maximum'), 'context_overflow', false],
      ['an HTTP status in the words', new Error('Server error: 503'), 'server', true],
      ['a 400 in the words', new Error('Request Failed: 400 bad tool schema'), 'bad_request', false],
      ['an unspecified failure', lmError('Unknown', 'something broke'), 'server', true],
      ['a cancellation nobody asked for', namedError('Canceled', 'Canceled'), 'stream_cut', true],
    ];
    for (const [what, e, code, retryable] of cases) {
      it(`${what} → ${code}${retryable ? ' (retried)' : ''}`, () => {
        const p = toProviderError(e, ctx);
        assert.equal(p.code, code, p.message);
        assert.equal(p.retryable, retryable);
        assert.equal(p.provider, 'vscode');
        assert.ok(p.message.includes('m-1'), p.message);
      });
    }
    it('an overflow carries the numbers the answer gives, else the counted prompt and the model\'s window', () => {
      assert.deepEqual(toProviderError(new Error('Message exceeds token limit.'), ctx).overflow, { promptTokens: 70_000, window: 64_000 + 8192 });
      assert.deepEqual(toProviderError(new Error('prompt is too long: 210000 tokens > 200000 maximum'), ctx).overflow, { promptTokens: 210_000, window: 200_000 });
    });
    it('anything after the session aborted is `aborted`', () => {
      assert.equal(toProviderError(lmError('Unknown'), { ...ctx, aborted: true }).code, 'aborted');
    });
  });

  describe('a turn', () => {
    it('streams text and tool calls, counts what was sent and received with the model\'s tokenizer, and ends', async () => {
      const model = new ScriptedModel('m-1', 'fam-1', answers({ parts: [new TextPart('Writing '), new TextPart('it.'), new ToolCallPart('call-1', 'write_file', { path: 'a.js' })] }));
      const p = createLmProvider('vscode', { kind: 'vscode-lm' }, lmHost([model]));
      const req = request([{ role: 'user', content: 'Your task (t): write a.js' }]);
      const chunks = await collect(p.chat(req, new AbortController().signal));
      assert.deepEqual(chunks.filter((c) => c.type === 'text').map((c) => c.type === 'text' && c.text), ['Writing ', 'it.']);
      assert.deepEqual(chunks.find((c) => c.type === 'tool_call'), { type: 'tool_call', call: { id: 'call-1', name: 'write_file', arguments: { path: 'a.js' } } });
      const usage = chunks.find((c) => c.type === 'usage');
      const system = Math.ceil(req.system.length / 4);
      const tool = Math.ceil(JSON.stringify({ name: 'write_file', description: 'Write a file', parameters: TOOLS[0]!.parameters }).length / 4);
      const task = Math.ceil('Your task (t): write a.js'.length / 4);
      const out = Math.ceil(`Writing it.\nwrite_file ${JSON.stringify({ path: 'a.js' })}`.length / 4);
      assert.deepEqual(usage, { type: 'usage', usage: { input: system + tool + task, output: out, counted: true } });
      const end = chunks.at(-1);
      assert.ok(end?.type === 'end' && end.stopReason === 'tool_calls');
      const sent = model.requests[0]!;
      assert.equal(sent.options.justification, JUSTIFICATION);
      assert.deepEqual(sent.options.tools, [{ name: 'write_file', description: 'Write a file', inputSchema: TOOLS[0]!.parameters }]);
    });

    it('counts each message once: the next turn counts only what is new', async () => {
      const model = new ScriptedModel('m-1', 'fam-1', answers({ parts: [new TextPart('ok')] }));
      const p = createLmProvider('vscode', { kind: 'vscode-lm' }, lmHost([model]));
      const first: EngineMessage = { role: 'user', content: 'first message' };
      await collect(p.chat(request([first]), new AbortController().signal));
      const before = model.counted.length;
      await collect(p.chat(request([first, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'second' }]), new AbortController().signal));
      assert.deepEqual(model.counted.slice(before), ['ok', 'second', 'ok'], 'the new assistant and user messages, then the answer');
    });

    it('a count that fails leaves the call without usage rather than a guess', async () => {
      const model = new ScriptedModel('m-1', 'fam-1', answers({ parts: [new TextPart('ok')] }));
      model.countError = new Error('no tokenizer');
      const chunks = await collect(createLmProvider('vscode', { kind: 'vscode-lm' }, lmHost([model])).chat(request([{ role: 'user', content: 'hi' }]), new AbortController().signal));
      assert.deepEqual(chunks.map((c) => c.type), ['text', 'end']);
    });

    it('finds the model by id, else by family, among the vendor\'s models only', async () => {
      const a = new ScriptedModel('gpt-x-2025', 'gpt-x', answers({ parts: [new TextPart('a')] }), 'copilot');
      const b = new ScriptedModel('other', 'gpt-x', answers({ parts: [new TextPart('b')] }), 'elsewhere');
      const host = lmHost([b, a]);
      const text = async (vendor: string | undefined, model: string) => (await collect(createLmProvider('p', { kind: 'vscode-lm', vendor }, host).chat(request([{ role: 'user', content: 'x' }], model), new AbortController().signal))).find((c) => c.type === 'text');
      assert.deepEqual(await text('copilot', 'gpt-x'), { type: 'text', text: 'a' });
      assert.deepEqual(await text(undefined, 'other'), { type: 'text', text: 'b' });
      const e = await failure(collect(createLmProvider('p', { kind: 'vscode-lm', vendor: 'copilot' }, host).chat(request([{ role: 'user', content: 'x' }], 'other'), new AbortController().signal)));
      assert.equal(e.code, 'not_found');
      assert.match(e.message, /no chat model of vendor "copilot" with the id or family "other"/);
    });

    it('maps a failure when the request is sent and one in the middle of the stream', async () => {
      const model = new ScriptedModel('m-1', 'fam-1', answers({ throwAtSend: lmError('NoPermissions') }, { throwInStream: namedError('ChatRateLimited', 'slow down'), after: [new TextPart('half')] }));
      const p = createLmProvider('vscode', { kind: 'vscode-lm' }, lmHost([model]));
      assert.equal((await failure(collect(p.chat(request([{ role: 'user', content: 'x' }]), new AbortController().signal)))).code, 'permission');
      const e = await failure(collect(p.chat(request([{ role: 'user', content: 'x' }]), new AbortController().signal)));
      assert.equal(e.code, 'rate_limit');
      assert.equal(e.retryable, true);
    });

    it('an overflow at send carries the prompt as the model counted it', async () => {
      const model = new ScriptedModel('m-1', 'fam-1', answers({ throwAtSend: new Error('Message exceeds token limit.') }), 'test', 'M', 1000);
      const e = await failure(collect(createLmProvider('vscode', { kind: 'vscode-lm' }, lmHost([model])).chat(request([{ role: 'user', content: 'y'.repeat(8000) }]), new AbortController().signal)));
      assert.equal(e.code, 'context_overflow');
      assert.equal(e.overflow?.window, 1000 + 1000);
      assert.ok((e.overflow?.promptTokens ?? 0) >= 2000, `counted ${e.overflow?.promptTokens}`);
    });

    it('the AbortSignal cancels the request\'s token and the turn ends `aborted`', async () => {
      const model = new ScriptedModel('m-1', 'fam-1', answers({ parts: [new TextPart('start'), { pauseMs: 60_000 }, new TextPart('never')] }));
      const ac = new AbortController();
      const seen: string[] = [];
      const turn = (async () => {
        for await (const c of createLmProvider('vscode', { kind: 'vscode-lm' }, lmHost([model])).chat(request([{ role: 'user', content: 'x' }]), ac.signal)) {
          if (c.type === 'text') {
            seen.push(c.text);
            ac.abort(new Error('cancelled by the user'));
          }
        }
      })();
      const e = await failure(turn);
      assert.equal(e.code, 'aborted');
      assert.deepEqual(seen, ['start']);
      assert.equal(model.requests[0]!.cancelled(), true, 'the model saw its token cancelled');
    });
  });

  describe('consent at Start', () => {
    it('sends each model an already-cancelled request and reports the ones VS Code refused', async () => {
      const ok = new ScriptedModel('ok', 'f', answers({ parts: [] }));
      const refused = new ScriptedModel('no', 'f', answers({ parts: [] }));
      // VS Code checks the user's consent before it sends anything: a refusal comes back whatever the token.
      refused.sendRequest = async () => {
        throw lmError('NoPermissions', "Language model 'no' cannot be used by 'ensemble-dev.ensemble'.");
      };
      const host = lmHost([ok, refused]);
      const out = await askModelAccess(host, [ok, refused] as never);
      assert.equal(ok.requests.length, 0, 'the stand-in, like VS Code, refuses a request whose token is cancelled');
      assert.deepEqual(out.map((r) => (r.model as unknown as ScriptedModel).id), ['no']);
      assert.match(out[0]!.message, /cannot be used/);
    });
  });

  describe('line-up', () => {
    const m = (id: string, family: string, extra: Partial<LmModelInfo> = {}): LmModelInfo => ({ id, family, vendor: 'copilot', name: id, maxInputTokens: 64_000, ...extra });
    const offered = [m('auto', 'auto'), m('gpt-4.1', 'gpt-4.1'), m('claude-sonnet-4', 'claude-sonnet-4'), m('gemini-2.5-pro', 'gemini-2.5-pro'), m('gpt-5-mini', 'gpt-5-mini'), m('no-tools', 'no-tools', { capabilities: { supportsToolCalling: false } })];

    it('puts each default role on the model that suits it, with a fallback on another family', () => {
      const base = resolveConfig({});
      const l = defaultLineup(offered, base)!;
      assert.equal(l.orchestrator.model, 'claude-sonnet-4');
      assert.equal(l.roles.frontend!.model, 'gpt-4.1');
      assert.equal(l.roles.backend!.model, 'gemini-2.5-pro');
      assert.equal(l.roles.qa!.model, 'gpt-5-mini');
      for (const r of [l.orchestrator, ...Object.values(l.roles)]) {
        assert.equal(r.provider, 'vscode');
        assert.ok(r.fallback && r.fallback.model !== r.model && r.fallback.model !== 'auto' && r.fallback.model !== 'no-tools', JSON.stringify(r));
      }
      assert.equal(l.roles.qa!.description, base.roles.qa!.description);
      assert.equal(defaultLineup([], base), undefined);
      assert.equal(defaultLineup([m('auto', 'auto')], base)!.roles.qa!.model, 'auto', "Copilot's auto when it is all there is");
    });

    it('gives each binding to VS Code\'s models its window, names unavailable ones, and leaves a user\'s window alone', () => {
      const cfg = resolveConfig({
        orchestrator: { provider: 'vscode', model: 'claude-sonnet-4' },
        roles: { a: { provider: 'copilot', model: 'gpt-4.1', fallback: { provider: 'vscode', model: 'gone' } }, b: { provider: 'vscode', model: 'gpt-5-mini', contextWindow: 5000 }, c: { provider: 'openai', model: 'gpt-5' } },
        providers: { copilot: { kind: 'vscode-lm', vendor: 'copilot' } },
      });
      const w = withModelWindows(cfg, offered);
      assert.equal(w.orchestrator.contextWindow, 64_000 + cfg.maxOutputTokens);
      assert.equal(w.roles.a!.contextWindow, 64_000 + cfg.maxOutputTokens);
      assert.equal(w.roles.b!.contextWindow, 5000);
      assert.equal(w.roles.c!.contextWindow, undefined);
      const bindings = lmBindings(cfg);
      assert.deepEqual(bindings.map((b) => b.who), ['orchestrator', 'roles.a', 'roles.a.fallback', 'roles.b']);
      assert.deepEqual(bindings.filter((b) => !matchModel(offered, b)).map((b) => b.who), ['roles.a.fallback']);
      assert.equal(matchModel(offered, { model: 'gpt-4.1', vendor: 'elsewhere' }), undefined);
    });
  });
});
