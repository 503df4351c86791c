// The pre-flight view before a session starts: which provider and model each role uses, which keys
// are missing (each with a "Set <provider> key…" item that comes back here), what a typical session
// costs, the budget, and where commands run (the sandbox, or why there is none). Nothing is sent to any provider before the user picks Start.
import { budgetText, estimateText, UNKNOWN_COST } from '../core/fold/money';
import * as vscode from 'vscode';
import { missingKeys, type EngineConfig, type MissingKey } from '../core/config';
import { ESTIMATE_ASSUMPTIONS, typicalSessionCost } from '../core/money/estimate';
import { describePriceSource, describeRules } from '../core/fold/narrate';
import { loadRules } from '../core/session/rules';
import { NodeFileStore } from '../node/file-store';
import { platformSandbox } from '../node/sandbox';
import { sandboxChecked } from '../core/session/sandbox';
import type { SandboxUse } from '../core/fold/sandbox';
import type { RulesFile } from '../core/events';
import type { Resolver } from '../node/providers';
import { isProviderKind } from '../providers';
import { vendorName } from '../providers/errors';

export interface Engine {
  config: EngineConfig;
  resolver: Resolver;
}

type Action = { kind: 'start' } | { kind: 'setKey'; provider: string } | { kind: 'settings' } | { kind: 'info' };
type Item = vscode.QuickPickItem & { action?: Action };

/** "OpenAI", "Anthropic", "Gemini", or the name of a configured endpoint. */
function providerName(cfg: EngineConfig, id: string): string {
  const kind = cfg.providers[id]?.kind ?? '';
  return isProviderKind(kind) && kind !== 'openai-compatible' ? vendorName({ id, kind }) : id;
}

/** A missing key in words: "frontend and qa need an OpenAI key" (not config paths). */
export function missingKeyText(cfg: EngineConfig, m: MissingKey): string {
  const who = m.usedBy.map((u) => u.replace(/^roles\./, ''));
  const list = who.length > 1 ? `${who.slice(0, -1).join(', ')} and ${who.at(-1)}` : (who[0] ?? 'this session');
  const name = providerName(cfg, m.provider);
  return `${list} ${who.length > 1 ? 'need' : 'needs'} ${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name} key`;
}

const ref = (r: { provider: string; model: string }) => `${r.provider} / ${r.model}`;

export function preflightItems(cfg: EngineConfig, missing: MissingKey[], workspace: string, rules: readonly RulesFile[] = [], sandbox?: SandboxUse): Item[] {
  const sep = (label: string): Item => ({ label, kind: vscode.QuickPickItemKind.Separator });
  const info = (x: Omit<Item, 'action'>): Item => ({ ...x, action: { kind: 'info' } });
  const items: Item[] = [sep('Roles')];
  const fallback = (r: { fallback?: { provider: string; model: string } }) => (r.fallback ? `falls back to ${ref(r.fallback)}` : undefined);
  items.push(info({ label: '$(organization) orchestrator', description: ref(cfg.orchestrator), detail: fallback(cfg.orchestrator) }));
  for (const [name, r] of Object.entries(cfg.roles)) {
    items.push(info({ label: `$(person) ${name}`, description: ref(r), detail: [r.description, fallback(r)].filter(Boolean).join(' · ') || undefined }));
  }
  items.push(sep('API keys'));
  if (!missing.length) items.push(info({ label: '$(pass) Every provider in use has a key' }));
  for (const m of missing) {
    items.push({ label: `$(key) Set ${providerName(cfg, m.provider)} key…`, description: missingKeyText(cfg, m), detail: `Stored in VS Code's secret storage (or set the environment variable ${m.envVar}).`, action: { kind: 'setKey', provider: m.provider } });
  }
  items.push(sep('Cost'));
  const est = typicalSessionCost(cfg);
  const { TURNS, PROMPT_TOKENS, OUTPUT_TOKENS } = ESTIMATE_ASSUMPTIONS;
  items.push(
    info({
      label: `$(graph) Typical session: ${est.estimateUsd === null ? UNKNOWN_COST : estimateText(est.estimateUsd)}`,
      description: est.estimateUsd === null ? `no price for ${est.unknownModels.join(', ')} (add it to ensemble.pricing)` : undefined,
      detail: `Development only: one task per role, ${TURNS} turns of ~${PROMPT_TOKENS} prompt and ~${OUTPUT_TOKENS} output tokens each. Planning, retries and escalations add to it. Prices: ${describePriceSource(est.prices)}.`,
    }),
    info({ label: `$(law) Budget: ${budgetText(cfg.budgetUsd)}`, description: 'ensemble.budgetUsd', detail: cfg.budgetUsd === undefined ? 'The session stops only when it is done or cancelled.' : 'The session stops before a call would exceed it.' }),
  );
  items.push(sep('Project'));
  items.push(
    rules.length
      ? info({ label: `$(book) Project rules: ${describeRules(rules)}`, detail: 'Given to the orchestrator and to every agent with its instructions.' })
      : info({ label: '$(book) No project rules', detail: 'An AGENTS.md at the workspace root (or .ensemble/rules.md) gives the orchestrator and every agent your conventions.' }),
  );
  if (sandbox) items.push(sandboxItem(sandbox));
  items.push(sep(''));
  if (!missing.length) items.push({ label: '$(play) Start', description: `in ${workspace}`, action: { kind: 'start' } });
  items.push({ label: '$(gear) Open Settings', description: 'ensemble.*', action: { kind: 'settings' } });
  return items;
}

/** Where commands and the generated tests run: the sandbox, or why there is none and what that means. */
function sandboxItem(u: SandboxUse): Item {
  const action: Action = { kind: 'info' };
  if (u.sandbox !== null) return { label: `$(shield) Sandbox: ${u.sandbox}`, description: `network ${u.network}`, detail: 'Commands and the generated tests write only the workspace (not its .git or .ensemble folders) and see no other process. ensemble.commands.network turns the network off.', action };
  if (u.setting === 'off') return { label: '$(warning) No sandbox: ensemble.commands.sandbox is "off"', detail: 'Commands and the generated tests run unconfined; the command policy is the only guard.', action };
  return { label: `$(warning) No sandbox: ${u.reason ?? 'none here'}`, detail: 'Every command is asked before it runs, whatever ensemble.commands allows (ensemble.commands.sandbox "off" runs them without one).', action };
}

/** The rules files a session here would use; none when the folder cannot be read (the session will say why). */
async function projectRules(workspace: string): Promise<RulesFile[]> {
  try {
    return (await loadRules(workspace, new NodeFileStore(workspace))).files;
  } catch {
    return [];
  }
}

/**
 * Shows the pre-flight view until the user starts (returns the engine to start with) or leaves
 * (undefined). `load` re-reads settings and keys each time round, so a key just set is seen.
 */
export async function runPreflight(o: { goal: string; workspace: string; load: () => Promise<Engine>; setKey: (provider: string) => Promise<unknown> }): Promise<Engine | undefined> {
  for (;;) {
    const engine = await o.load();
    const missing = missingKeys(engine.config, engine.resolver.hasKey);
    const sandbox = sandboxChecked(engine.config.commands.sandbox === 'off' ? { available: false, reason: 'off' } : await platformSandbox().probe(), engine.config.commands);
    const pick = await pickAction(preflightItems(engine.config, missing, o.workspace, await projectRules(o.workspace), sandbox), `Ensemble: ${o.goal}`, missing.length ? 'Set the missing keys to start' : 'Check the roles, keys and cost, then press Enter to start');
    const action = pick?.action;
    if (!action) return undefined;
    if (action.kind === 'start') return engine;
    if (action.kind === 'settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:ensemble-dev.ensemble');
      return undefined;
    }
    if (action.kind === 'setKey') await o.setKey(action.provider);
  }
}

/**
 * A quick pick whose active item is the first actionable one — Start when every key is there (so goal →
 * Enter → Enter starts a session), else the first missing key — never an information row.
 */
function pickAction(items: Item[], title: string, placeholder: string): Promise<Item | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Item>();
    Object.assign(qp, { title, placeholder, ignoreFocusOut: true, matchOnDescription: true, items });
    const first = items.find((i) => i.action?.kind === 'start') ?? items.find((i) => i.action?.kind === 'setKey');
    if (first) qp.activeItems = [first];
    let picked: Item | undefined;
    qp.onDidAccept(() => {
      picked = qp.selectedItems[0] ?? qp.activeItems[0];
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(picked);
    });
    qp.show();
  });
}
