// Honest figures for VS Code's language models, through the whole engine: a session whose orchestrator and
// one role run on `vscode` (the real vscode-lm adapter, over the hand-written stand-in of the API in
// test/helpers/lm-host.ts) and one role on a priced provider. The LM API reports no usage and the user's
// plan pays for those calls: tokens are counted and said to be counted, no dollar figure is invented
// (never $0.00), the budget counts only the priced calls, and requests are counted per model.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveConfig, type EngineConfig } from '../../src/core/config';
import { startSession } from '../../src/core/session/session';
import { nodeWorkspace } from '../../src/node/workspace';
import { createLmProvider } from '../../src/vscode/lmProvider';
import { moneyText } from '../../src/core/fold/money';
import { summarise } from '../../src/core/fold/summary';
import { foldEvents } from '../../src/core/fold/state';
import { buildReport, renderMarkdown, type ReportJson } from '../../src/core/fold/report';
import { summary } from '../../src/cli/runner';
import type { EnsembleEvent } from '../../src/core/events';
import { lmHost, ScriptedModel, TextPart, textOf, ToolCallPart, type Answer, type SeenRequest } from '../helpers/lm-host';
import { ScriptedProvider, writesThenFinishes } from '../helpers/scripted';
import { tempWorkspace } from '../helpers/tmp';
import { Panel, snapshotOf } from '../helpers/panel';

/** Answers as the orchestrator or an agent would, read from the conversation (the LM API carries no trace). */
function agentScript(req: SeenRequest): Answer {
  const first = textOf(req.messages[0]!);
  const turn = req.messages.filter((m) => m.role === 2).length;
  if (/Call submit_plan/.test(first)) {
    return { parts: [new ToolCallPart('p1', 'submit_plan', { rationale: 'two tasks', tasks: [{ id: 'ui', title: 'UI', description: 'index.html', role: 'web', dependsOn: [] }, { id: 'api', title: 'API', description: 'server.js', role: 'api', dependsOn: [] }] })] };
  }
  const task = /Your task \(([\w-]+)\)/.exec(first)?.[1] ?? 'x';
  return turn === 0 ? { parts: [new TextPart(`Writing ${task}.`), new ToolCallPart(`w-${task}`, 'write_file', { path: `${task}.txt`, content: `${task}\n` })] } : { parts: [new ToolCallPart(`f-${task}`, 'finish', { summary: `wrote ${task}.txt` })] };
}

function config(extra: Record<string, unknown> = {}): EngineConfig {
  return resolveConfig({
    orchestrator: { provider: 'vscode', model: 'claude-test' },
    roles: { web: { provider: 'vscode', model: 'gpt-test' }, api: { provider: 'priced', model: 'p-1' } },
    providers: { priced: { kind: 'openai-compatible' } },
    pricing: { 'priced/p-1': { input: 1, output: 2 } },
    validation: { runTests: 'never' },
    ...extra,
  });
}

async function session(cfg: EngineConfig): Promise<{ events: EnsembleEvent[]; report: ReportJson; md: string; models: ScriptedModel[] }> {
  const models = [new ScriptedModel('claude-test', 'claude', agentScript), new ScriptedModel('gpt-test', 'gpt', agentScript)];
  const lm = createLmProvider('vscode', cfg.providers.vscode!, lmHost(models));
  const priced = new ScriptedProvider('priced', writesThenFinishes({ 'api.txt': 'api\n' }));
  const workspace = tempWorkspace();
  const handle = startSession({ goal: 'two files', config: cfg, deps: { ...nodeWorkspace(workspace), resolve: (id) => (id === 'vscode' ? lm : id === 'priced' ? priced : undefined) } });
  const state = await handle.done;
  assert.equal(state.status, 'completed', state.error);
  const events = handle.log.readAll();
  const report = JSON.parse(fs.readFileSync(path.join(handle.dir, 'report.json'), 'utf8')) as ReportJson;
  return { events, report, md: fs.readFileSync(path.join(handle.dir, 'report.md'), 'utf8'), models };
}

describe('vscode-lm: honest figures through the engine', () => {
  let run: Awaited<ReturnType<typeof session>>;
  before(async () => {
    run = await session(config({ budgetUsd: 1 }));
  });

  it('marks each VS Code call as paid by the plan, with counted tokens and no price or reservation', () => {
    const requests = run.events.filter((e): e is Extract<EnsembleEvent, { type: 'llm.request' }> => e.type === 'llm.request');
    const responses = run.events.filter((e): e is Extract<EnsembleEvent, { type: 'llm.response' }> => e.type === 'llm.response');
    const plan = responses.filter((e) => e.provider === 'vscode');
    assert.ok(plan.length >= 3, `${plan.length} calls on vscode`);
    for (const e of plan) {
      assert.equal(e.billing, 'plan');
      assert.equal(e.costUsd, null);
      assert.equal(e.usage.counted, true);
      assert.ok(e.usage.input > 0 && e.usage.output > 0);
    }
    for (const e of requests.filter((x) => x.provider === 'vscode')) assert.equal(e.reservedUsd, undefined);
    for (const e of responses.filter((x) => x.provider === 'priced')) {
      assert.equal(e.billing, undefined);
      assert.ok((e.costUsd ?? 0) > 0);
    }
    const pricing = run.events.find((e) => e.type === 'pricing.loaded');
    assert.ok(pricing?.type === 'pricing.loaded');
    assert.deepEqual(pricing.models.find((m) => m.model === 'vscode/claude-test'), { model: 'vscode/claude-test', origin: 'plan' });
  });

  it('report.json: usage counted (not billed) per provider, requests per model, plan calls in no dollar figure', () => {
    const r = run.report;
    const vscodeCalls = run.models.reduce((n, m) => n + m.requests.length, 0);
    assert.deepEqual(r.metrics.usageSource, { vscode: 'counted', priced: 'reported' });
    assert.equal(r.metrics.planCalls.vscode, vscodeCalls);
    assert.equal(r.metrics.planCalls.priced, 0);
    assert.equal(r.metrics.byModel['vscode/claude-test']!.calls, run.models[0]!.requests.length);
    assert.equal(r.metrics.byModel['vscode/gpt-test']!.calls, run.models[1]!.requests.length);
    assert.equal(r.metrics.byModel['vscode/gpt-test']!.usageSource, 'counted');
    assert.equal(r.metrics.byModel['priced/p-1']!.usageSource, 'reported');
    assert.equal(r.budget.planCalls, vscodeCalls);
    assert.deepEqual(r.budget.planModels, ['vscode/gpt-test']);
    assert.equal(r.budget.unknownCalls, 0, 'a plan call is not a call of unknown cost');
    assert.ok(r.metrics.costUsd.total !== null && r.metrics.costUsd.total > 0, 'the priced calls keep their dollars');
    assert.equal(r.budget.chargedUsd, r.budget.knownUsd, 'the cap counted only the priced calls');
    assert.equal(r.tasks.find((t) => t.id === 'ui')!.planCalls, 2);
    assert.equal(r.tasks.find((t) => t.id === 'api')!.planCalls, 0);
  });

  it('every view says "your plan" for those calls, never $0.00, and that the tokens were counted', () => {
    const vscodeRow = run.md.split('\n').find((l) => l.startsWith('| vscode |'))!;
    assert.match(vscodeRow, /\(counted\).*through the VS Code model \(your plan\)/);
    assert.doesNotMatch(vscodeRow, /\$0\.00/);
    assert.match(run.md.split('\n').find((l) => l.startsWith('| ui: UI'))!, /through the VS Code model \(your plan\)/);
    assert.match(run.md, /\| vscode\/claude-test \| \d+ \| 0 \| \d+ \(counted\) \|/);
    assert.match(run.md, /counted by Ensemble with the model's own tokenizer/);
    assert.match(run.md, /The limit counts only calls with a per-token price/);
    assert.match(run.md, /estimate before development: about \$\d\.\d+ \+ the VS Code model \(your plan\)/);
    const firstSent = run.events.findIndex((e) => e.type === 'llm.request' && e.provider === 'vscode');
    assert.equal(moneyText(foldEvents(run.events.slice(0, firstSent + 1)).money), 'through the VS Code model (your plan)', 'from the first request on, not $0.00 until it is answered');
    const total = moneyText(foldEvents(run.events).money);
    assert.match(total, /^\$\d\.\d+ \+ the VS Code model \(your plan\)$/);
    assert.equal(summarise(foldEvents(run.events))!.costText, total);
    const cli = summary(buildReport(foldEvents(run.events)), '/tmp/x');
    assert.match(cli, /vscode .* through the VS Code model \(your plan\) \(tokens counted, not billed\)/);
    assert.match(cli, /Total cost: \$\d\.\d+ \+ the VS Code model \(your plan\)/);
  });

  it('the panel says it as the report does: "your plan" for those calls, their tokens "counted", never $0.00', () => {
    const p = new Panel();
    try {
      p.send(snapshotOf(run.report.sessionId, run.events));
      assert.match(p.text('.spend'), /^Spent \$\d\.\d+ \+ the VS Code model \(your plan\) of \$1\.00 budget .*estimate about \$\d\.\d+ \+ the VS Code model \(your plan\).*the budget counts only calls with a per-token price/);
      const [byProvider, , byModel] = [...p.app.querySelectorAll('#metrics-body table')].map((t) => [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
      const vscodeRow = byProvider!.find((r) => r[0] === 'vscode')!;
      assert.equal(vscodeRow[1], 'through the VS Code model (your plan)');
      assert.match(vscodeRow[2]!, / counted$/);
      assert.doesNotMatch(byProvider!.find((r) => r[0] === 'priced')![2]!, /counted/);
      assert.deepEqual(byModel!.map((r) => [r[0], Number(r[3])]).sort(), Object.entries(run.report.metrics.byModel).map(([id, x]) => [id, x.calls]).sort(), 'requests per model');
      const ui = [...p.app.querySelectorAll('#tasks-body tbody tr')].find((tr) => /UI/.test(tr.textContent ?? ''))!;
      assert.equal(ui.querySelector('td:nth-child(4) .num')?.textContent, 'through the VS Code model (your plan)');
      assert.doesNotMatch(p.app.textContent ?? '', /\$0\.00(?!\d)/);
    } finally {
      p.close();
    }
  });

  it('a session all on VS Code\'s models runs under any budget and says no dollar figure at all', async () => {
    const all = await session(config({ roles: { web: { provider: 'vscode', model: 'gpt-test' }, api: { provider: 'vscode', model: 'claude-test' } }, budgetUsd: 0.000001 }));
    const md = renderMarkdown(all.report);
    assert.match(md, /\| \*\*total\*\* \| \| \| through the VS Code model \(your plan\) \|/);
    assert.match(md, /Spent through the VS Code model \(your plan\) of \$0\.0000 budget/);
    assert.match(md, /estimate before development: through the VS Code model \(your plan\)/);
    assert.doesNotMatch(md, /\$0\.00(?!\d)/);
    const proposed = all.events.find((e) => e.type === 'plan.proposed');
    assert.ok(proposed?.type === 'plan.proposed');
    assert.deepEqual(proposed.planModels?.sort(), ['vscode/claude-test', 'vscode/gpt-test']);
  });
});
