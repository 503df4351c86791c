// The pre-flight view before a session starts: which provider and model each role uses, which keys
// are missing (each with a "Set <provider> key…" item that comes back here), the chat models VS Code
// offers (and a binding whose model it does not offer), what a typical session costs, the budget, and
// where commands run (the sandbox, or why there is none). Nothing is sent to any provider before the user
// picks Start; then VS Code asks its consent for its models, before any agent runs.
import { budgetText, estimateText, PLAN_TEXT, UNKNOWN_COST } from '../core/fold/money';
import * as vscode from 'vscode';
import { kindInfo, missingKeys, type EngineConfig, type MissingKey, type RoleConfig } from '../core/config';
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
import type { LmView } from './engine';
import { askModelAccess, modelLabel } from './lmProvider';
import { serversInUse, type McpInput } from '../core/mcp-config';
import { readWorkspaceMcp, WORKSPACE_MCP_JSON } from '../node/mcp-config';

export interface Engine {
  config: EngineConfig;
  resolver: Resolver;
  /** VS Code's language models, as this engine sees them (absent: not looked up). */
  lm?: LmView;
  /** The `${input:…}` declared by the workspace's .vscode/mcp.json, when its servers are used. */
  mcpInputs?: McpInput[];
}

type Action =
  { kind: 'start' } | { kind: 'setKey'; provider: string } | { kind: 'chooseModels' } | { kind: 'settings' } | { kind: 'info' } | { kind: 'useMcpJson' };
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

/** Bindings that stop Start: a role's or the orchestrator's own model (not a fallback) that VS Code does not offer. */
export function blockingUnavailable(lm: LmView | undefined): LmView['unavailable'] {
  return (lm?.unavailable ?? []).filter((b) => !b.who.endsWith('.fallback'));
}

/**
 * The MCP servers each role gets, and — when the workspace has a .vscode/mcp.json whose servers are not
 * used yet (`ensemble.mcp.useWorkspaceConfig` not set) — the question whether to use them.
 */
function mcpItems(cfg: EngineConfig, mcpJson: { servers: string[]; asked: boolean } | undefined): Item[] {
  const items: Item[] = [];
  const info = (x: Omit<Item, 'action'>): Item => ({ ...x, action: { kind: 'info' } });
  const inUse = serversInUse(cfg);
  if (inUse.length) {
    const who = [['orchestrator', cfg.orchestrator.mcp] as const, ...Object.entries(cfg.roles).map(([n, r]) => [n, r.mcp] as const)].filter(
      ([, m]) => m?.length,
    );
    const policy =
      cfg.mcp.run === 'always'
        ? 'every call runs without asking'
        : `calls matching ensemble.mcp.allow${cfg.mcp.allowReadOnly ? ' (or read-only tools)' : ''} run; ${cfg.mcp.run === 'ask' ? 'you are asked about the others' : 'the others are denied'}`;
    items.push(
      info({
        label: `$(plug) MCP servers: ${inUse.join(', ')}`,
        description: who.map(([n, m]) => `${n}: ${m!.join(', ')}`).join(' · '),
        detail: `Started when the first agent that uses them starts, stopped when the session ends. ${policy[0]!.toUpperCase()}${policy.slice(1)}.`,
      }),
    );
  }
  if (mcpJson && !mcpJson.asked && mcpJson.servers.length) {
    items.push({
      label: `$(plug) Use the MCP servers of ${WORKSPACE_MCP_JSON}`,
      description: mcpJson.servers.join(', '),
      detail: 'Sets ensemble.mcp.useWorkspaceConfig for this workspace; roles use the servers they name in their "mcp" list (none by default).',
      action: { kind: 'useMcpJson' },
    });
  }
  return items;
}

export function preflightItems(
  cfg: EngineConfig,
  missing: MissingKey[],
  workspace: string,
  rules: readonly RulesFile[] = [],
  sandbox?: SandboxUse,
  lm?: LmView,
  mcpJson?: { servers: string[]; asked: boolean },
): Item[] {
  const sep = (label: string): Item => ({ label, kind: vscode.QuickPickItemKind.Separator });
  const info = (x: Omit<Item, 'action'>): Item => ({ ...x, action: { kind: 'info' } });
  const items: Item[] = [sep('Roles')];
  const gone = new Map((lm?.unavailable ?? []).map((b) => [b.who, b]));
  const notOffered = (who: string) =>
    gone.has(who)
      ? `not offered by VS Code: no chat model with the id or family "${gone.get(who)!.model}"${gone.get(who)!.vendor ? ` of vendor ${gone.get(who)!.vendor}` : ''}`
      : undefined;
  const fallback = (who: string, r: { fallback?: { provider: string; model: string } }) =>
    r.fallback ? `falls back to ${ref(r.fallback)}${gone.has(`${who}.fallback`) ? ' (not offered by VS Code)' : ''}` : undefined;
  const role = (label: string, who: string, r: RoleConfig) =>
    info({
      label: `${gone.has(who) ? '$(warning)' : label.startsWith('orchestrator') ? '$(organization)' : '$(person)'} ${label}`,
      description: ref(r),
      detail: [notOffered(who), r.description, fallback(who, r)].filter(Boolean).join(' · ') || undefined,
    });
  if (lm?.defaultLineup)
    items.push(
      info({
        label: '$(sparkle) No API key is set: the roles run on the models VS Code offers',
        detail:
          'Through your VS Code model access (e.g. GitHub Copilot). Ensemble: Choose Models picks others; ensemble.roles and ensemble.orchestrator set them for good.',
      }),
    );
  items.push(role('orchestrator', 'orchestrator', cfg.orchestrator));
  for (const [name, r] of Object.entries(cfg.roles)) items.push(role(name, `roles.${name}`, r));
  if (lm?.models.length)
    items.push({
      label: '$(settings) Choose Models…',
      description: 'a model VS Code offers for each role (writes ensemble.roles)',
      action: { kind: 'chooseModels' },
    });
  if (lm) items.push(...lmItems(lm, sep, info));
  items.push(sep('API keys'));
  const onVscode = [cfg.orchestrator, ...Object.values(cfg.roles)].every((r) => kindInfo(cfg.providers[r.provider]?.kind ?? '').key === 'none');
  if (!missing.length)
    items.push(info({ label: `$(pass) ${onVscode ? "No key needed: every role runs on VS Code's models" : 'Every provider in use has a key'}` }));
  for (const m of missing) {
    items.push({
      label: `$(key) Set ${providerName(cfg, m.provider)} key…`,
      description: missingKeyText(cfg, m),
      detail: `Stored in VS Code's secret storage (or set the environment variable ${m.envVar}).`,
      action: { kind: 'setKey', provider: m.provider },
    });
  }
  items.push(sep('Cost'));
  const est = typicalSessionCost(cfg);
  const { TURNS, PROMPT_TOKENS, OUTPUT_TOKENS } = ESTIMATE_ASSUMPTIONS;
  const plan = est.planModels.length > 0;
  items.push(
    info({
      label: `$(graph) Typical session: ${est.estimateUsd === null ? UNKNOWN_COST : estimateText(est.estimateUsd, [], est.planModels)}`,
      description:
        est.estimateUsd === null
          ? `no price for ${est.unknownModels.join(', ')} (add it to ensemble.pricing)`
          : plan
            ? `about ${est.planRequests} requests to ${est.planModels.join(', ')}`
            : undefined,
      detail: `Development only: one task per role, ${TURNS} turns of ~${PROMPT_TOKENS} prompt and ~${OUTPUT_TOKENS} output tokens each. Planning, retries and escalations add to it. ${plan ? `Calls through ${PLAN_TEXT} are paid by your plan, not per token: they are counted as requests (with their tokens counted by the model's tokenizer), never priced. ` : ''}Prices: ${describePriceSource(est.prices)}.`,
    }),
    info({
      label: `$(law) Budget: ${budgetText(cfg.budgetUsd)}`,
      description: 'ensemble.budgetUsd',
      detail: `${cfg.budgetUsd === undefined ? 'The session stops only when it is done or cancelled.' : 'The session stops before a call would exceed it.'}${plan && cfg.budgetUsd !== undefined ? ` It counts only calls with a per-token price: calls through ${PLAN_TEXT} are not counted against it.` : ''}`,
    }),
  );
  items.push(sep('Project'));
  items.push(
    rules.length
      ? info({ label: `$(book) Project rules: ${describeRules(rules)}`, detail: 'Given to the orchestrator and to every agent with its instructions.' })
      : info({
          label: '$(book) No project rules',
          detail: 'An AGENTS.md at the workspace root (or .ensemble/rules.md) gives the orchestrator and every agent your conventions.',
        }),
  );
  if (sandbox) items.push(sandboxItem(sandbox));
  items.push(...mcpItems(cfg, mcpJson));
  items.push(sep(''));
  if (!missing.length && !blockingUnavailable(lm).length)
    items.push({
      label: '$(play) Start',
      description: `in ${workspace}${lm?.bound.length ? ' (VS Code asks for your consent to its models first, if it has not yet)' : ''}`,
      action: { kind: 'start' },
    });
  items.push({ label: '$(gear) Open Settings', description: 'ensemble.*', action: { kind: 'settings' } });
  return items;
}

/** The chat models VS Code offers (vendor, family, name, max input tokens), and the bindings whose model it does not offer. */
function lmItems(lm: LmView, sep: (label: string) => Item, info: (x: Omit<Item, 'action'>) => Item): Item[] {
  const used = new Set(lm.bound.map((m) => m.id));
  const items: Item[] = [sep(`Models VS Code offers (${lm.models.length})`)];
  if (!lm.models.length)
    items.push(
      info({
        label: '$(info) None',
        detail: 'No extension contributes chat models (GitHub Copilot does, once you sign in): roles bound to the provider "vscode" cannot run.',
      }),
    );
  for (const m of lm.models) {
    items.push(
      info({
        label: `${used.has(m.id) ? '$(check)' : '$(circle-large-outline)'} ${m.name}`,
        description: `${m.vendor} · ${m.family}`,
        detail: `id ${m.id} · up to ${m.maxInputTokens.toLocaleString('en')} input tokens${used.has(m.id) ? ' · used by this session' : ''}`,
      }),
    );
  }
  const blocking = blockingUnavailable(lm);
  if (blocking.length)
    items.push(
      info({
        label: `$(warning) ${blocking.map((b) => b.who.replace(/^roles\./, '')).join(', ')}: model not offered by VS Code`,
        detail: 'Pick one it offers with Choose Models, or change ensemble.roles / ensemble.orchestrator.',
      }),
    );
  return items;
}

/** Where commands and the generated tests run: the sandbox, or why there is none and what that means. */
function sandboxItem(u: SandboxUse): Item {
  const action: Action = { kind: 'info' };
  if (u.sandbox !== null)
    return {
      label: `$(shield) Sandbox: ${u.sandbox}`,
      description: `network ${u.network}`,
      detail:
        'Commands and the generated tests write only the workspace (not its .git or .ensemble folders) and see no other process. ensemble.commands.network turns the network off.',
      action,
    };
  if (u.setting === 'off')
    return {
      label: '$(warning) No sandbox: ensemble.commands.sandbox is "off"',
      detail: 'Commands and the generated tests run unconfined; the command policy is the only guard.',
      action,
    };
  return {
    label: `$(warning) No sandbox: ${u.reason ?? 'none here'}`,
    detail: 'Every command is asked before it runs, whatever ensemble.commands allows (ensemble.commands.sandbox "off" runs them without one).',
    action,
  };
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
export async function runPreflight(o: {
  goal: string;
  workspace: string;
  load: () => Promise<Engine>;
  setKey: (provider: string) => Promise<unknown>;
  chooseModels?: () => Promise<unknown>;
}): Promise<Engine | undefined> {
  for (;;) {
    const engine = await o.load();
    const missing = missingKeys(engine.config, engine.resolver.hasKey);
    const blocked = blockingUnavailable(engine.lm);
    const sandbox = sandboxChecked(
      engine.config.commands.sandbox === 'off' ? { available: false, reason: 'off' } : await platformSandbox().probe(),
      engine.config.commands,
    );
    const hint = missing.length
      ? 'Set the missing keys to start'
      : blocked.length
        ? 'Choose models VS Code offers to start'
        : 'Check the roles, keys and cost, then press Enter to start';
    const pick = await pickAction(
      preflightItems(engine.config, missing, o.workspace, await projectRules(o.workspace), sandbox, engine.lm, workspaceMcp(o.workspace)),
      `Ensemble: ${o.goal}`,
      hint,
    );
    const action = pick?.action;
    if (!action) return undefined;
    if (action.kind === 'start') {
      if (await modelAccess(engine)) return engine;
      continue;
    }
    if (action.kind === 'chooseModels') {
      await o.chooseModels?.();
      continue;
    }
    if (action.kind === 'settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:ensemble-dev.ensemble');
      return undefined;
    }
    if (action.kind === 'setKey') await o.setKey(action.provider);
    if (action.kind === 'useMcpJson') {
      const section = vscode.workspace.getConfiguration('ensemble', vscode.Uri.file(o.workspace));
      const current = section.inspect<Record<string, unknown>>('mcp')?.workspaceValue ?? {};
      await section.update('mcp', { ...current, useWorkspaceConfig: true }, vscode.ConfigurationTarget.Workspace);
    }
  }
}

/** The workspace's .vscode/mcp.json: its servers, and whether ensemble.mcp.useWorkspaceConfig was set either way. */
function workspaceMcp(workspace: string): { servers: string[]; asked: boolean } | undefined {
  try {
    const found = readWorkspaceMcp(workspace);
    if (!found) return undefined;
    const i = vscode.workspace.getConfiguration('ensemble', vscode.Uri.file(workspace)).inspect<{ useWorkspaceConfig?: boolean }>('mcp');
    const asked = [i?.workspaceFolderValue, i?.workspaceValue, i?.globalValue].some((v) => typeof v?.useWorkspaceConfig === 'boolean');
    return { servers: Object.keys(found.servers), asked };
  } catch {
    return undefined; // a broken mcp.json is reported when it is used
  }
}

/**
 * VS Code's consent to the models the session uses, asked now (the user just chose Start) rather than
 * by the first agent's request in the middle of a parallel run. False when VS Code refused one: the user
 * is told which, and the pre-flight shows again.
 */
export async function modelAccess(engine: Engine): Promise<boolean> {
  if (!engine.lm?.bound.length) return true;
  const refused = await askModelAccess(vscode, engine.lm.bound);
  if (!refused.length) return true;
  await vscode.window.showErrorMessage(
    `Ensemble: VS Code did not allow Ensemble to use ${refused.map((r) => modelLabel(r.model)).join(', ')} (${refused[0]!.message}). Allow it when VS Code asks, or pick other models with Ensemble: Choose Models.`,
  );
  return false;
}

/**
 * A quick pick whose active item is the first actionable one — Start when every key is there (so goal →
 * Enter → Enter starts a session), else the first missing key — never an information row.
 */
function pickAction(items: Item[], title: string, placeholder: string): Promise<Item | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Item>();
    Object.assign(qp, { title, placeholder, ignoreFocusOut: true, matchOnDescription: true, items });
    const first =
      items.find((i) => i.action?.kind === 'start') ?? items.find((i) => i.action?.kind === 'setKey') ?? items.find((i) => i.action?.kind === 'chooseModels');
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
