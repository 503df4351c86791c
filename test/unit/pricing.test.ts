// Prices that match the bill. Expected dollars are computed here from the providers' published
// per-1M prices, written out literally (never by asking the price library), so a wrong usage mapping,
// a missed price tier or a lost model shows up as a wrong figure.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { resolveConfig, type EngineConfig } from '../../src/core/config';
import { PRICE_DATA, pricingFor } from '../../src/core/money/pricing';
import { estimateSessionCost } from '../../src/core/money/estimate';
import { ModelCaller } from '../../src/core/session/caller';
import { BudgetExhaustedError } from '../../src/core/money/budget';
import { systemClock } from '../../src/core/ports';
import type { EnsembleEvent } from '../../src/core/events';
import { NodeFileStore } from '../../src/node/file-store';
import { startSession } from '../../src/core/session/session';
import type { ReportJson } from '../../src/core/fold/report';
import { startFakeServer } from '../../src/fakes';
import type { FakeReply, FakeRequest, FakeServer } from '../../src/fakes/script';
import { buildResolver, envKeys } from '../../src/node/providers';
import { tempWorkspace } from '../helpers/tmp';
import { ledger, type Ledger } from '../helpers/ledger';
import { NodeCommandRunner } from '../../src/node/command-runner';

const root = path.resolve(__dirname, '..', '..');
const M = 1e6;
const close = (actual: number | null | undefined, expected: number, what = '') => assert.ok(actual != null && Math.abs(actual - expected) < 1e-9, `${what}: expected $${expected}, got ${actual}`);

const config = (extra: Record<string, unknown> = {}): EngineConfig => resolveConfig({ validation: { runTests: 'never' }, ...extra });

describe('pricing: the price library', () => {
  it('is the installed version, whose publication date is recorded beside it', () => {
    const installed = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', '@pydantic', 'genai-prices', 'package.json'), 'utf8')) as { version: string };
    assert.equal(PRICE_DATA.version, installed.version, 'bump PRICE_DATA (version and publishedAt: `npm view @pydantic/genai-prices time`) with the package');
    assert.equal(PRICE_DATA.source, '@pydantic/genai-prices');
    assert.match(PRICE_DATA.publishedAt, /^\d{4}-\d{2}-\d{2}$/);
    // The README and the setting's description say which prices ship: they follow the bump too.
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.ok(readme.includes(`version **${PRICE_DATA.version}**, data published ${PRICE_DATA.publishedAt}`), 'README Configuration: Prices');
    const manifest = fs.readFileSync(path.join(root, 'package.json'), 'utf8');
    assert.ok(manifest.includes(`\`@pydantic/genai-prices\` ${PRICE_DATA.version}, data of ${PRICE_DATA.publishedAt}`), 'package.json ensemble.pricing');
  });

  it('is loaded when a price is first needed, not when the engine is imported', () => {
    const script = [
      "const seen = () => Object.keys(require.cache).some((k) => k.includes('genai-prices'));",
      "require('./src/core/session/session.ts'); require('./src/cli/commands.ts');",
      'const before = seen();',
      "const { typicalSessionCost } = require('./src/core/money/estimate.ts'); const { resolveConfig } = require('./src/core/config.ts');",
      'typicalSessionCost(resolveConfig({}));',
      'console.log(JSON.stringify([before, seen()]));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out.trim().split('\n').pop()!), [false, true]);
  });
});

describe('pricing: what a call costs', () => {
  const p = pricingFor(config());

  it('prices Gemini 2.5 Pro at 2.50/15.00 for the WHOLE call once the prompt passes 200k tokens', () => {
    const gemini = { provider: 'gemini', model: 'gemini-2.5-pro' };
    close(p.cost(gemini, { input: 300_000, output: 10_000 }), (300_000 * 2.5 + 10_000 * 15) / M, '300k prompt');
    close(p.cost(gemini, { input: 200_000, output: 10_000 }), (200_000 * 1.25 + 10_000 * 10) / M, 'exactly 200k: the lower tier');
    close(p.cost(gemini, { input: 100_000, output: 10_000 }), (100_000 * 1.25 + 10_000 * 10) / M, '100k prompt');
    // Cache reads count towards the prompt's size: 150k + 100k cached is past 200k.
    close(p.cost(gemini, { input: 150_000, cachedInput: 100_000, output: 1_000 }), (150_000 * 2.5 + 100_000 * 0.25 + 1_000 * 15) / M, 'cached reads in the tier');
  });

  it('prices a model the old hand table did not have (gpt-4.1-nano), cache reads at their own price', () => {
    close(p.cost({ provider: 'openai', model: 'gpt-4.1-nano' }, { input: 1_000, cachedInput: 2_000, output: 500 }), (1_000 * 0.1 + 2_000 * 0.025 + 500 * 0.4) / M);
    close(p.cost({ provider: 'openai', model: 'gpt-4o-2024-08-06' }, { input: 1_000, output: 1_000 }), (1_000 * 2.5 + 1_000 * 10) / M, 'a dated snapshot');
  });

  it('prices Anthropic cache reads and writes, and the tier their sum with the input reaches', () => {
    const sonnet = { provider: 'anthropic', model: 'claude-sonnet-4-5' };
    close(p.cost(sonnet, { input: 1_000, cachedInput: 20_000, cacheWrite: 5_000, output: 800 }), (1_000 * 3 + 20_000 * 0.3 + 5_000 * 3.75 + 800 * 15) / M, 'below 200k');
    // 20k + 150k read + 40k written = 210k prompt tokens: every kind of token at its higher rate.
    close(p.cost(sonnet, { input: 20_000, cachedInput: 150_000, cacheWrite: 40_000, output: 2_000 }), (20_000 * 6 + 150_000 * 0.6 + 40_000 * 7.5 + 2_000 * 22.5) / M, 'past 200k');
    close(p.cost({ provider: 'anthropic', model: 'claude-haiku-4-5-20251001' }, { input: 100, cacheWrite: 1_000, output: 10 }), (100 * 1 + 1_000 * 1.25 + 10 * 5) / M, 'haiku snapshot');
  });

  it('prices an OpenAI-compatible provider the library knows, by its base URL or by its name', () => {
    const q = pricingFor(config({
      providers: {
        fast: { kind: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1', apiKeyEnv: 'FAST_KEY' },
        groq: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'GROQ_KEY' },
        ollama: { kind: 'openai-compatible', baseUrl: 'http://localhost:11434/v1' },
      },
    }));
    const llama = (provider: string) => q.cost({ provider, model: 'llama-3.3-70b-versatile' }, { input: 10_000, output: 1_000 });
    close(llama('fast'), (10_000 * 0.59 + 1_000 * 0.79) / M, 'by base URL');
    close(llama('groq'), (10_000 * 0.59 + 1_000 * 0.79) / M, 'by name');
    assert.equal(llama('ollama'), null, 'a local server the library does not know');
  });

  it('leaves a model nobody priced unknown (null, never $0), and lets the user override any model', () => {
    assert.equal(p.cost({ provider: 'openai', model: 'gpt-not-a-model' }, { input: 1_000, output: 1_000 }), null);
    assert.equal(p.worstCase({ provider: 'openai', model: 'gpt-not-a-model' }, 1_000, 1_000), null);
    const o = pricingFor(config({
      providers: { ollama: { kind: 'openai-compatible', baseUrl: 'http://localhost:11434/v1' } },
      pricing: { 'openai/gpt-4.1-nano': { input: 1, output: 2, cachedInput: 0.5 }, 'ollama/qwen2.5-coder:14b': { input: 0, output: 0 }, 'anthropic/claude-opus-4-5': { input: 10, output: 20 } },
    }));
    close(o.cost({ provider: 'openai', model: 'gpt-4.1-nano' }, { input: 1_000, cachedInput: 1_000, output: 1_000 }), (1_000 * 1 + 1_000 * 0.5 + 1_000 * 2) / M, 'override wins');
    assert.equal(o.cost({ provider: 'ollama', model: 'qwen2.5-coder:14b' }, { input: 1_000, output: 1_000 }), 0, 'a free local model, priced by the user');
    close(o.cost({ provider: 'anthropic', model: 'claude-opus-4-5-20251101' }, { input: 1_000, cacheWrite: 1_000, output: 0 }), (1_000 * 10 + 1_000 * 10) / M, 'an override row prices its dated snapshots; cache writes at input price');
    assert.deepEqual(o.describe({ provider: 'openai', model: 'gpt-4.1-nano' }), { model: 'openai/gpt-4.1-nano', origin: 'override', priceKey: 'openai/gpt-4.1-nano' });
    assert.deepEqual(o.describe({ provider: 'gemini', model: 'gemini-2.5-pro' }), { model: 'gemini/gemini-2.5-pro', origin: 'library', priceKey: 'google/gemini-2.5-pro' });
    assert.deepEqual(o.describe({ provider: 'ollama', model: 'llama3' }), { model: 'ollama/llama3', origin: 'unknown' });
  });

  it('reserves at the tier the prompt reaches, every prompt token at the dearest input rate (a cache write)', () => {
    close(p.worstCase({ provider: 'gemini', model: 'gemini-2.5-pro' }, 250_000, 8_192), (250_000 * 2.5 + 8_192 * 15) / M, 'gemini past 200k');
    close(p.worstCase({ provider: 'gemini', model: 'gemini-2.5-pro' }, 150_000, 8_192), (150_000 * 1.25 + 8_192 * 10) / M, 'gemini below');
    close(p.worstCase({ provider: 'anthropic', model: 'claude-sonnet-4-5' }, 10_000, 1_000), (10_000 * 3.75 + 1_000 * 15) / M, 'anthropic: writes cost more than input');
  });

  it('estimates per turn at each role\'s price and names the price data', () => {
    const cfg = config({ roles: { dev: { provider: 'openai', model: 'gpt-4.1-nano' } }, pricing: { 'x/y': { input: 1, output: 1 } } });
    const est = estimateSessionCost([{ id: 't', title: 't', description: '', role: 'dev', dependsOn: [] }], cfg);
    close(est.estimateUsd, Math.round(6 * (6_000 * 0.1 + 1_500 * 0.4) / M * 1e4) / 1e4);
    assert.deepEqual(est.prices, { source: '@pydantic/genai-prices', version: PRICE_DATA.version, publishedAt: PRICE_DATA.publishedAt, overrides: ['x/y'] });
    const unknown = estimateSessionCost([{ id: 't', title: 't', description: '', role: 'dev', dependsOn: [] }], config({ roles: { dev: { provider: 'openai', model: 'gpt-nope' } } }));
    assert.deepEqual([unknown.estimateUsd, unknown.unknownModels], [null, ['openai/gpt-nope']]);
  });
});

describe('pricing: reservations and settlement through ModelCaller and the real Gemini SDK', () => {
  let gemini: FakeServer;
  before(async () => {
    gemini = await startFakeServer('gemini', () => ({ kind: 'reply', text: 'ok', usage: { input: 300_000, output: 10_000 } }));
  });
  after(() => gemini.close());

  const route = { provider: 'gemini', model: 'gemini-2.5-pro' };
  const caller = ({ sink, budget }: Ledger) => {
    const cfg = config();
    const resolver = buildResolver(cfg, envKeys({ GEMINI_API_KEY: 'k' }), { GEMINI_BASE_URL: gemini.baseUrl });
    return new ModelCaller({ sink, clock: systemClock, budget, pricing: pricingFor(cfg), resolve: (id) => resolver.resolve(id), retry: { maxRetries: 0, baseBackoffMs: 1, maxBackoffMs: 1 }, providerLimit: () => 2, signal: new AbortController().signal });
  };
  /** A prompt of about `tokens` tokens by the engine's estimate (3 characters a token). */
  const ask = (tokens: number) => ({ system: '', messages: [{ role: 'user' as const, content: 'x'.repeat(tokens * 3) }], tools: [], maxOutputTokens: 1_000 });

  it('reserves a prompt estimated past 200k tokens at the higher tier, and settles at the tier billed', async () => {
    const l = ledger();
    const { events, budget } = l;
    await caller(l).call(route, ask(250_000), { agentId: 'a', trace: 't#1' });
    const reserved = events.find((e) => e.type === 'llm.request')!;
    const high = (250_000 * 2.5 + 1_000 * 15) / M;
    assert.ok(reserved.type === 'llm.request' && reserved.reservedUsd! >= high && reserved.reservedUsd! < high + 0.0001, `reserved ${JSON.stringify(reserved)}`);
    const response = events.find((e) => e.type === 'llm.response')!;
    close(response.type === 'llm.response' ? response.costUsd : null, (300_000 * 2.5 + 10_000 * 15) / M, 'settled');
    close(budget.spentUsd, 0.9, 'spent');
    assert.equal(budget.reservedUsd, 0);
  });

  it('holds the cap on the higher tier: a request that fits at 1.25/10 but not at 2.50/15 is never sent', async () => {
    const before = gemini.requests.length;
    // Worst case: 0.3225 at the lower tier, 0.64 at the higher one.
    await assert.rejects(caller(ledger(0.6)).call(route, ask(250_000), { agentId: 'a', trace: 't#1' }), BudgetExhaustedError);
    assert.equal(gemini.requests.length, before, 'nothing was sent');
    // A prompt below 200k is reserved at the lower tier, and fits.
    const fits = ledger(0.6);
    await caller(fits).call(route, ask(150_000), { agentId: 'a', trace: 't#1' });
    const r = fits.events.find((e) => e.type === 'llm.request');
    close(r?.type === 'llm.request' ? Math.round(r.reservedUsd! * 1e4) / 1e4 : null, Math.round(((150_000 * 1.25 + 1_000 * 10) / M) * 1e4) / 1e4, 'lower tier');
  });
});

describe('pricing: a session reports exactly what each provider bills, through the real SDKs', function () {
  this.timeout(60_000);
  const servers: FakeServer[] = [];
  let report: ReportJson;
  let events: EnsembleEvent[];
  let markdown: string;
  const seen: FakeRequest[] = [];

  before(async () => {
    const plan = {
      rationale: 'three parts',
      tasks: [
        { id: 'api', title: 'API', description: 'Build the API.', role: 'backend', dependsOn: [] },
        { id: 'page', title: 'Page', description: 'Build the page.', role: 'frontend', dependsOn: [] },
        { id: 'quick', title: 'Quick', description: 'A quick task.', role: 'fast', dependsOn: [] },
      ],
    };
    const finish = { name: 'finish', arguments: { summary: 'done' } };
    const reply = (r: FakeRequest, answer: FakeReply): FakeReply => (seen.push(r), answer);
    const anthropic = await startFakeServer('anthropic', (r) =>
      reply(r, r.trace?.startsWith('plan#') ? { kind: 'reply', toolCalls: [{ name: 'submit_plan', arguments: plan }], usage: { input: 20_000, cachedInput: 150_000, cacheWrite: 40_000, output: 2_000 } } : { kind: 'reply', toolCalls: [finish], usage: { input: 1_000, output: 100 } }),
    );
    // Two turns of 300k prompt tokens on Gemini 2.5 Pro: $0.90 each at the higher tier.
    const gemini = await startFakeServer('gemini', (r) => reply(r, { kind: 'reply', toolCalls: [r.trace?.endsWith('#1') ? { name: 'list_files', arguments: {} } : finish], usage: { input: 300_000, output: 10_000 } }));
    const openai = await startFakeServer('openai', (r) => reply(r, { kind: 'reply', toolCalls: [finish], usage: r.model === 'gpt-4.1-nano' ? { input: 50_000, cachedInput: 10_000, output: 2_000 } : { input: 10_000, output: 1_000 } }));
    servers.push(anthropic, gemini, openai);
    const cfg = config({
      orchestrator: { provider: 'anthropic', model: 'claude-opus-4-8' },
      roles: { backend: { provider: 'gemini', model: 'gemini-2.5-pro' }, frontend: { provider: 'openai', model: 'gpt-4.1-nano' }, fast: { provider: 'groq', model: 'llama-3.3-70b-versatile' } },
      // Groq, served here by the local OpenAI-wire server: known to the library by its name.
      providers: { groq: { kind: 'openai-compatible', baseUrl: openai.baseUrl, apiKeyEnv: 'GROQ_KEY' } },
      budgetUsd: 5,
    });
    const resolver = buildResolver(cfg, envKeys({ ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k', GEMINI_API_KEY: 'k', GROQ_KEY: 'k' }), { ANTHROPIC_BASE_URL: anthropic.baseUrl, OPENAI_BASE_URL: openai.baseUrl, GEMINI_BASE_URL: gemini.baseUrl });
    const ws = tempWorkspace();
    const handle = startSession({ goal: 'Three parts', config: cfg, deps: { workspace: ws, store: new NodeFileStore(ws), runner: new NodeCommandRunner(), resolve: (id) => resolver.resolve(id) } });
    await handle.done;
    events = handle.log.readAll();
    report = JSON.parse(fs.readFileSync(path.join(handle.dir, 'report.json'), 'utf8')) as ReportJson;
    markdown = fs.readFileSync(path.join(handle.dir, 'report.md'), 'utf8');
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('completes within its budget, every call answered by a real SDK', () => {
    assert.equal(report.status, 'completed', JSON.stringify(report.phases));
    assert.deepEqual(seen.map((r) => `${r.provider}/${r.model}/${r.trace}`).sort(), [
      'anthropic/claude-opus-4-8/plan#1',
      'gemini/gemini-2.5-pro/task/api#1',
      'gemini/gemini-2.5-pro/task/api#2',
      'openai/gpt-4.1-nano/task/page#1',
      'openai/llama-3.3-70b-versatile/task/quick#1',
    ]);
  });

  it('bills each provider what it charges: tiers, cache reads and writes, models the old table lacked', () => {
    const c = report.metrics.costUsd;
    close(c.anthropic, (20_000 * 5 + 150_000 * 0.5 + 40_000 * 6.25 + 2_000 * 25) / M, 'anthropic, cache reads and writes');
    close(c.gemini, 2 * ((300_000 * 2.5 + 10_000 * 15) / M), 'gemini, two 300k-token calls: $1.80');
    close(c.openai, (50_000 * 0.1 + 10_000 * 0.025 + 2_000 * 0.4) / M, 'openai gpt-4.1-nano');
    close(c.groq, (10_000 * 0.59 + 1_000 * 0.79) / M, 'groq');
    close(c.total, c.anthropic! + c.gemini! + c.openai! + c.groq!, 'total');
    close(report.budget.spentUsd, c.total!, 'spent');
    assert.equal(report.metrics.tokens.anthropic!.cacheWrite, 40_000);
  });

  it('records the price data and each model\'s price origin in the log, report.json and report.md', () => {
    const setup = events.findIndex((e) => e.type === 'phase.started' && e.phase === 'setup');
    const loaded = events.findIndex((e) => e.type === 'pricing.loaded');
    assert.ok(setup >= 0 && loaded > setup, 'emitted in the setup phase');
    assert.deepEqual({ ...report.pricing, models: undefined }, { source: '@pydantic/genai-prices', version: PRICE_DATA.version, publishedAt: PRICE_DATA.publishedAt, overrides: [], models: undefined });
    assert.deepEqual(report.pricing!.models.find((m) => m.model === 'groq/llama-3.3-70b-versatile'), { model: 'groq/llama-3.3-70b-versatile', origin: 'library', priceKey: 'groq/llama-3.3-70b-versatile' });
    const estimated = events.find((e) => e.type === 'budget.estimated');
    assert.equal(estimated?.type === 'budget.estimated' && estimated.prices?.version, PRICE_DATA.version);
    assert.match(markdown, new RegExp(`Prices: @pydantic/genai-prices ${PRICE_DATA.version.replace(/\./g, '\\.')} \\(data published ${PRICE_DATA.publishedAt}`));
  });
});
