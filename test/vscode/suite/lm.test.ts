// VS Code's Language Model API in a real VS Code: the test-only extension test/vscode/lm-provider
// registers a LanguageModelChatProvider (vendor `ensemble-test`) whose models this suite scripts. Its
// answers (text and tool-call parts), its LanguageModelErrors and its cancellation cross the editor's
// real IPC to Ensemble's `vscode-lm` adapter. Then a whole session — plan, two tasks in parallel, a
// model that fails and the switch to the role's fallback, the report — runs on those models with no API
// key set, from the same engine loading, pre-flight and consent step the Start command uses.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { missingKeys } from '../../../src/core/config';
import type { ChatChunk, ChatRequest } from '../../../src/core/ports';
import type { ReportJson } from '../../../src/core/fold/report';
import type { EnsembleApi } from '../../../src/vscode/api';
import { loadEngine } from '../../../src/vscode/engine';
import { askModelAccess, createLmProvider } from '../../../src/vscode/lmProvider';
import { modelAccess, preflightItems } from '../../../src/vscode/preflight';
import { getApi, saveEnv, saveKeys, setSettings, stopActiveSession, tempFolder, withTimeout } from './helpers';
import { providerFailure } from '../../helpers/provider-error';

const TEST_EXTENSION = 'ensemble-dev.ensemble-test-lm';
const VENDOR = 'ensemble-test';

// The provider side of the API (LanguageModelChatProvider and its types) is VS Code 1.104's; Ensemble
// builds against @types/vscode 1.100 (it only consumes models), so the shapes the suite uses are here.
interface ModelInfo {
  id: string;
  name: string;
  family: string;
  version: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  capabilities: { toolCalling?: boolean };
}
interface RequestMessage {
  role: vscode.LanguageModelChatMessageRole;
  content: readonly unknown[];
}
interface Handled {
  model: ModelInfo;
  messages: readonly RequestMessage[];
  options: { tools?: readonly { name: string }[] };
  progress: { report(part: vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart): void };
  token: vscode.CancellationToken;
}
interface Scripted {
  counts: { info: number; responses: number; tokens: number; cancelledOnArrival: number };
  setModels(list: ModelInfo[]): void;
  setHandler(fn: (r: Handled) => Promise<void>): void;
}

const info = (id: string, family: string, maxInputTokens = 120_000, toolCalling = true): ModelInfo => ({ id, name: `Test ${id}`, family, version: '1', maxInputTokens, maxOutputTokens: 8000, capabilities: { toolCalling } });
const MODELS = [info('ens-planner', 'claude-test-sonnet'), info('ens-writer', 'gpt-test'), info('ens-gone', 'gemini-test-pro'), info('ens-small', 'gpt-test-mini', 30_000), info('ens-notools', 'notools', 8000, false)];

/** The text of a message's text parts. */
function textOf(m: RequestMessage): string {
  return m.content.map((p) => (p instanceof vscode.LanguageModelTextPart ? p.value : '')).join('\n');
}

/** Waits `ms`, or less when the request is cancelled (the token honoured). */
function pause(ms: number, token: vscode.CancellationToken): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    token.onCancellationRequested(() => (clearTimeout(t), resolve()));
  });
}

function request(model: string, text = 'Say hello.'): ChatRequest {
  return { model, system: 'You are a test.', messages: [{ role: 'user', content: text }], tools: [{ name: 'finish', description: 'Finish', parameters: { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] } }], maxOutputTokens: 1000, trace: 'test#1' };
}

async function turn(model: string, signal = new AbortController().signal, text?: string): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of createLmProvider('vscode', { kind: 'vscode-lm', vendor: VENDOR }, vscode).chat(request(model, text), signal)) out.push(c);
  return out;
}

const failure = providerFailure;

export function registerLmTests(): void {
  describe("VS Code's language models (a scripted LanguageModelChatProvider)", function () {
    this.timeout(120_000);
    let scripted: Scripted;
    let api: EnsembleApi;
    const undo: (() => unknown)[] = [];

    before(async () => {
      api = await getApi();
      const ext = vscode.extensions.getExtension<Scripted>(TEST_EXTENSION);
      assert.ok(ext, `${TEST_EXTENSION} is not loaded: the runner loads test/vscode/lm-provider next to Ensemble`);
      scripted = ext.isActive ? ext.exports : await ext.activate();
      scripted.setModels(MODELS);
      // No API key anywhere: not in the environment, not in SecretStorage.
      const keyVars = Object.keys(process.env).filter((k) => /_API_KEY$/.test(k));
      undo.push(saveEnv(keyVars));
      for (const k of keyVars) delete process.env[k];
      undo.push(await saveKeys(api, ['openai', 'anthropic', 'gemini']));
      for (const p of ['openai', 'anthropic', 'gemini']) await api.keys.clear(p);
    });

    after(async () => {
      await stopActiveSession(api);
      scripted?.setModels([]);
      for (const u of undo.reverse()) await u();
    });

    it('VS Code offers the models, with their vendor, family, name and max input tokens', async () => {
      const offered = await vscode.lm.selectChatModels({ vendor: VENDOR });
      assert.deepEqual(offered.map((m) => [m.id, m.vendor, m.family, m.name, m.maxInputTokens]).sort(), MODELS.map((m) => [m.id, VENDOR, m.family, m.name, m.maxInputTokens]).sort());
    });

    it('a turn: streamed text and a tool call through the editor, tokens counted by the model\'s provideTokenCount', async () => {
      const seen: Handled['options'][] = [];
      scripted.setHandler(async ({ options, progress }) => {
        seen.push(options);
        progress.report(new vscode.LanguageModelTextPart('Hello '));
        progress.report(new vscode.LanguageModelTextPart('there.'));
        progress.report(new vscode.LanguageModelToolCallPart('call-1', 'finish', { summary: 'said hello' }));
      });
      const counted = scripted.counts.tokens;
      const chunks = await turn('ens-writer');
      assert.equal(chunks.filter((c) => c.type === 'text').map((c) => (c.type === 'text' ? c.text : '')).join(''), 'Hello there.');
      assert.deepEqual(chunks.find((c) => c.type === 'tool_call'), { type: 'tool_call', call: { id: 'call-1', name: 'finish', arguments: { summary: 'said hello' } } });
      const usage = chunks.find((c) => c.type === 'usage');
      assert.ok(usage?.type === 'usage' && usage.usage.counted === true && usage.usage.input > 0 && usage.usage.output > 0, JSON.stringify(usage));
      assert.ok(scripted.counts.tokens > counted, 'provideTokenCount was asked');
      assert.deepEqual(seen[0]!.tools?.map((t) => t.name), ['finish']);
      const end = chunks.at(-1);
      assert.ok(end?.type === 'end' && end.stopReason === 'tool_calls');
    });

    it("each LanguageModelError (and Copilot's named errors) arrives as the ProviderError it means", async () => {
      const cases: [() => Error, string, boolean][] = [
        [() => vscode.LanguageModelError.NoPermissions('not allowed'), 'permission', false],
        [() => vscode.LanguageModelError.Blocked('too many requests, try again later'), 'rate_limit', true],
        [() => vscode.LanguageModelError.NotFound('retired'), 'not_found', false],
        [() => Object.assign(new vscode.LanguageModelError('monthly quota reached'), { name: 'ChatQuotaExceeded' }), 'quota', false],
        [() => Object.assign(new Error('rate limited'), { name: 'ChatRateLimited' }), 'rate_limit', true],
        [() => new Error('Message exceeds token limit.'), 'context_overflow', false],
        [() => new Error('Server error: 503'), 'server', true],
      ];
      const measured: string[] = [];
      for (const [make, code, retryable] of cases) {
        scripted.setHandler(async () => {
          throw make();
        });
        const e = await failure(turn('ens-writer'));
        measured.push(`${make().name}/${(make() as { code?: string }).code ?? ''} → ${e.code}`);
        assert.equal(e.code, code, `${measured.at(-1)}: ${e.message}`);
        assert.equal(e.retryable, retryable);
      }
      // After a few parts, too: the stream itself fails.
      scripted.setHandler(async ({ progress }) => {
        progress.report(new vscode.LanguageModelTextPart('half an answer'));
        await new Promise((r) => setTimeout(r, 50));
        throw vscode.LanguageModelError.Blocked('blocked mid-answer');
      });
      assert.equal((await failure(turn('ens-writer'))).code, 'rate_limit');
      console.log(`      measured: ${measured.join('; ')}`);
    });

    it('the AbortSignal cancels the request: the model sees its token cancelled, the turn ends `aborted`', async () => {
      let cancelled: (v: boolean) => void = () => {};
      const sawCancel = new Promise<boolean>((r) => (cancelled = r));
      scripted.setHandler(async ({ progress, token }) => {
        progress.report(new vscode.LanguageModelTextPart('working'));
        await pause(60_000, token);
        cancelled(token.isCancellationRequested);
      });
      const ac = new AbortController();
      const running = (async () => {
        for await (const c of createLmProvider('vscode', { kind: 'vscode-lm', vendor: VENDOR }, vscode).chat(request('ens-writer'), ac.signal)) if (c.type === 'text') ac.abort(new Error('cancelled by the user'));
      })();
      const e = await failure(withTimeout(running, 10_000, 'the aborted turn to end'));
      assert.equal(e.code, 'aborted');
      assert.equal(await withTimeout(sawCancel, 10_000, 'the model to see the cancellation'), true);
    });

    it('consent at Start: a request per model that VS Code cannot pass on, so none reaches the model', async () => {
      const models = await vscode.lm.selectChatModels({ vendor: VENDOR });
      const before = scripted.counts.responses;
      const refused = await askModelAccess(vscode, models);
      assert.deepEqual(refused, []);
      // Let any request still on its way arrive.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(scripted.counts.responses - before, 0, 'no request reached the provider');
      console.log(`      measured: 0 of ${models.length} consent requests reached the provider`);
    });

    it('consent at Start for a model that requires it (as Copilot\'s do): VS Code asks before anything is sent, and a refusal is reported', async () => {
      // `requiresAuthorization` takes effect for an extension with the proposed chatProvider API, which
      // code-server enables for every extension. In an extension test run VS Code refuses to show
      // dialogs, so its consent dialog counts as declined: what is measured is that the consent is
      // asked by askModelAccess, before any request reaches the model, and that the refusal is named.
      scripted.setModels([...MODELS, { ...info('ens-consent', 'consent-test'), requiresAuthorization: { label: 'Ensemble tester' } } as ModelInfo]);
      try {
        const [model] = await vscode.lm.selectChatModels({ vendor: VENDOR, id: 'ens-consent' });
        assert.ok(model, 'the model that requires consent is offered');
        const before = scripted.counts.responses;
        const refused = await withTimeout(askModelAccess(vscode, [model]), 20_000, 'the consent step');
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(scripted.counts.responses, before, 'nothing reached the model');
        console.log(`      measured: consent for ens-consent → ${refused.length ? `refused: ${refused[0]!.message}` : 'granted'}`);
        assert.equal(refused.length, 1, 'the declined consent is reported');
        assert.match(refused[0]!.message, /cannot be used by 'ensemble-dev\.ensemble'/);
      } finally {
        scripted.setModels(MODELS);
      }
    });

    it('with no key and no roles set, the default line-up runs on the models VS Code offers (and the pre-flight says so)', async () => {
      const restore = await setSettings({ orchestrator: undefined, roles: undefined });
      try {
        const engine = await loadEngine(api.keys);
        assert.equal(engine.lm?.defaultLineup, true);
        const bound = [engine.config.orchestrator, ...Object.values(engine.config.roles)];
        assert.ok(bound.every((r) => r.provider === 'vscode' && r.model !== 'ens-notools'), JSON.stringify(bound));
        assert.equal(engine.config.orchestrator.model, 'ens-planner', 'a Claude-like model orchestrates');
        assert.equal(engine.config.roles.backend!.model, 'ens-gone', 'a Gemini-like model on the back end');
        assert.equal(engine.config.roles.qa!.model, 'ens-small', 'a small model for QA');
        assert.equal(engine.config.roles.qa!.contextWindow, 30_000 + engine.config.maxOutputTokens, 'its window is the model\'s');
        assert.deepEqual(missingKeys(engine.config, engine.resolver.hasKey), []);
        const items = preflightItems(engine.config, [], '/ws', [], undefined, engine.lm).map((i) => `${i.label} | ${i.description ?? ''} | ${i.detail ?? ''}`);
        assert.ok(items.some((l) => /No API key is set: the roles run on the models VS Code offers/.test(l)), items.join('\n'));
        assert.ok(items.some((l) => /Test ens-small \| ensemble-test · gpt-test-mini \| id ens-small · up to 30,000 input tokens/.test(l)), items.join('\n'));
        assert.ok(items.some((l) => /No key needed: every role runs on VS Code's models/.test(l)), items.join('\n'));
        assert.ok(items.some((l) => /Typical session: through the VS Code model \(your plan\)/.test(l)), items.join('\n'));
        assert.ok(items.some((l) => /\$\(play\) Start/.test(l)));
      } finally {
        await restore();
      }
    });

    it('a binding to a model VS Code does not offer is marked, and Start is not offered', async () => {
      const restore = await setSettings({ roles: { web: { provider: 'vscode', model: 'no-such-model' } } });
      try {
        const engine = await loadEngine(api.keys);
        assert.deepEqual(engine.lm?.unavailable.map((b) => b.who), ['roles.web']);
        const items = preflightItems(engine.config, [], '/ws', [], undefined, engine.lm);
        assert.ok(items.some((i) => /\$\(warning\) web/.test(i.label) && /not offered by VS Code: no chat model with the id or family "no-such-model"/.test(i.detail ?? '')));
        assert.ok(!items.some((i) => /Start/.test(i.label)));
      } finally {
        await restore();
      }
    });

    it('Ensemble: Choose Models writes ensemble.roles and ensemble.orchestrator', async () => {
      const restore = await setSettings({ orchestrator: undefined, roles: { web: { provider: 'openai', model: 'gpt-5', description: 'the page' }, api: { provider: 'openai', model: 'gpt-5' } } });
      try {
        const done = await vscode.commands.executeCommand('ensemble.chooseModels', { orchestrator: 'ens-planner', roles: { web: 'gpt-test' } });
        assert.equal(done, true);
        const section = vscode.workspace.getConfiguration('ensemble');
        assert.deepEqual(section.inspect('orchestrator')?.globalValue, { provider: 'vscode', model: 'ens-planner' });
        assert.deepEqual(section.inspect('roles')?.globalValue, { web: { provider: 'vscode', model: 'ens-writer', description: 'the page' }, api: { provider: 'openai', model: 'gpt-5' } });
      } finally {
        await restore();
      }
    });

    describe('a whole session on them, with no API key', () => {
      const calls: { model: string; conv: string; start: number; end: number }[] = [];
      let report: ReportJson;
      let dir: string;
      let folder: string;
      let restore: () => Promise<void>;

      before(async () => {
        restore = await setSettings({
          orchestrator: { provider: 'vscode', model: 'ens-planner' },
          roles: {
            frontend: { provider: 'vscode', model: 'ens-gone', fallback: { provider: 'vscode', model: 'gpt-test' }, description: 'Front end' },
            backend: { provider: 'vscode', model: 'ens-writer', description: 'Back end' },
          },
          planApproval: 'auto',
          'validation.runTests': 'never',
          budgetUsd: 0.01,
        });
        scripted.setHandler(async ({ model, messages, progress, token }) => {
          const first = textOf(messages[0]!);
          const task = /Your task \(([\w-]+)\)/.exec(first)?.[1];
          const conv = /Call submit_plan/.test(first) ? 'plan' : task ? `task/${task}` : 'other';
          const call = { model: model.id, conv, start: Date.now(), end: 0 };
          calls.push(call);
          try {
            if (model.id === 'ens-gone') throw vscode.LanguageModelError.NotFound(`${model.id} was retired`);
            await pause(300, token);
            if (conv === 'plan') {
              progress.report(new vscode.LanguageModelToolCallPart('plan-1', 'submit_plan', { rationale: 'page and API apart', tasks: [{ id: 'page', title: 'Page', description: 'index.html', role: 'frontend', dependsOn: [] }, { id: 'api', title: 'API', description: 'server.js', role: 'backend', dependsOn: [] }] }));
              return;
            }
            const answered = messages.filter((m) => m.role === vscode.LanguageModelChatMessageRole.Assistant).length;
            const file = task === 'page' ? 'index.html' : 'server.js';
            if (answered === 0) {
              progress.report(new vscode.LanguageModelTextPart(`Writing ${file}.`));
              progress.report(new vscode.LanguageModelToolCallPart(`w-${task}`, 'write_file', { path: file, content: `// ${task}, written by ${model.id}\n` }));
            } else progress.report(new vscode.LanguageModelToolCallPart(`f-${task}`, 'finish', { summary: `wrote ${file}` }));
          } finally {
            call.end = Date.now();
          }
        });
        folder = tempFolder('ensemble-lm-');
        const engine = await loadEngine(api.keys);
        assert.deepEqual(missingKeys(engine.config, engine.resolver.hasKey), [], 'no key is needed');
        const before = scripted.counts.responses;
        assert.equal(await modelAccess(engine), true);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(scripted.counts.responses, before, 'the consent step sent the models nothing');
        const active = api.controller.start({ goal: 'A page and an API', workspace: folder, config: engine.config, resolve: (id) => engine.resolver.resolve(id), secrets: engine.resolver.secrets() });
        const state = await withTimeout(active.handle.done, 90_000, 'the session to end');
        assert.equal(state.status, 'completed', state.error);
        dir = active.handle.dir;
        report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as ReportJson;
      });

      after(async () => {
        await restore?.();
        if (folder) fs.rmSync(folder, { recursive: true, force: true });
      });

      it('planned, then ran both tasks at the same time', () => {
        assert.equal(calls[0]?.conv, 'plan');
        assert.deepEqual(report.tasks.map((t) => [t.id, t.status]), [['page', 'completed'], ['api', 'completed']]);
        const page = calls.filter((c) => c.conv === 'task/page' && c.model !== 'ens-gone');
        const api2 = calls.filter((c) => c.conv === 'task/api');
        assert.ok(page.some((p) => api2.some((a) => p.start < a.end && a.start < p.end)), `the two tasks' requests overlapped: ${JSON.stringify(calls)}`);
        assert.equal(fs.readFileSync(path.join(folder, 'index.html'), 'utf8'), '// page, written by ens-writer\n');
        assert.equal(fs.readFileSync(path.join(folder, 'server.js'), 'utf8'), '// api, written by ens-writer\n');
      });

      it("switched the front end to its fallback when its model failed (NotFound through the editor)", () => {
        assert.deepEqual(report.switchLog.map((s) => [s.taskId, s.from, s.to]), [['page', 'vscode/ens-gone', 'vscode/gpt-test']]);
        assert.match(report.switchLog[0]!.reason, /not available in VS Code any more/);
        assert.deepEqual(report.tasks.find((t) => t.id === 'page')!.finishedBy, { by: 'role', role: 'frontend', provider: 'vscode', model: 'gpt-test' });
      });

      it('reports counted tokens, requests per model and no dollar figure', () => {
        assert.deepEqual(report.metrics.usageSource, { vscode: 'counted' });
        assert.equal(report.metrics.planCalls.vscode, report.metrics.calls);
        assert.equal(report.metrics.byModel['vscode/ens-gone']!.failures, 1);
        assert.ok(report.metrics.byModel['vscode/ens-planner']!.calls >= 1);
        assert.equal(report.budget.planCalls, report.metrics.calls);
        assert.equal(report.budget.chargedUsd, 0, 'the budget counted nothing');
        assert.equal(report.budget.unknownCalls, 0);
        const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
        assert.match(md, /\| vscode \| \d+ \(counted\) \| \d+ \(counted\) \| through the VS Code model \(your plan\) \|/);
        assert.match(md, /The limit counts only calls with a per-token price/);
      });
    });
  });
}
