// The engine's configuration and provider resolver for a real session: the settings, the keys from
// SecretStorage (then the environment), `*_BASE_URL` environment overrides (buildResolver), and VS Code's
// own chat models (the `vscode-lm` provider kind): which the editor offers, the default line-up on them
// when no key is set, each bound model's context window.
import * as vscode from 'vscode';
import { kindInfo, type EngineConfig } from '../core/config';
import { buildResolver, type Resolver } from '../node/providers';
import { createLmProvider } from './lmProvider';
import { defaultLineup, lmBindings, matchModel, withModelWindows, type LmBinding, type LmModelInfo } from './lmLineup';
import * as os from 'node:os';
import * as path from 'node:path';
import { withWorkspaceMcp } from '../node/mcp-config';
import { resolveMcpVariables, serversInUse, type McpInput } from '../core/mcp-config';
import type { Engine } from './preflight';
import type { ApiKeys } from './secrets';
import { isUserSet, readSettings } from './settings';

/** VS Code's language models as an engine sees them. */
export interface LmView {
  /** The chat models VS Code offers now (any vendor). */
  models: (vscode.LanguageModelChat & LmModelInfo)[];
  /** Bindings to a `vscode-lm` provider whose model VS Code does not offer. */
  unavailable: LmBinding[];
  /** The models the bindings name: the user's consent to them is asked at Start. */
  bound: vscode.LanguageModelChat[];
  /** No key was set and no role configured: the roles run on VS Code's models (defaultLineup). */
  defaultLineup: boolean;
}

/** The chat models VS Code offers; none in an editor without the Language Model API, or when it fails. */
export async function offeredModels(): Promise<(vscode.LanguageModelChat & LmModelInfo)[]> {
  try {
    return typeof vscode.lm?.selectChatModels === 'function' ? [...(await vscode.lm.selectChatModels())] : [];
  } catch {
    return [];
  }
}

export async function loadEngine(keys: ApiKeys, scope?: vscode.ConfigurationScope): Promise<Engine> {
  const { config: chosen, resolver, models, lineup } = await loadLineup(keys, scope);
  // The workspace folder's .vscode/mcp.json joins the servers when ensemble.mcp.useWorkspaceConfig says so.
  const folder = scope instanceof vscode.Uri ? scope.fsPath : undefined;
  const { config: withMcp, inputs } = folder ? withWorkspaceMcp(chosen, folder) : { config: chosen, inputs: [] };
  const config = withModelWindows(withMcp, models);
  const bindings = lmBindings(config);
  const unavailable = bindings.filter((b) => !matchModel(models, b));
  const bound = [...new Set(bindings.map((b) => matchModel(models, b)).filter((m): m is (typeof models)[number] => !!m))];
  return { config, resolver, lm: { models, unavailable, bound, defaultLineup: lineup }, mcpInputs: inputs };
}

/**
 * The settings, the provider resolver and the models VS Code offers; with no key for any provider that
 * needs one and no `ensemble.orchestrator` or `ensemble.roles` set, the roles on the models VS Code offers
 * (`lineup`; the pre-flight says so).
 */
export async function loadLineup(
  keys: ApiKeys,
  scope?: vscode.ConfigurationScope,
): Promise<{ config: EngineConfig; resolver: Resolver; models: (vscode.LanguageModelChat & LmModelInfo)[]; lineup: boolean }> {
  const settings = readSettings(scope);
  const source = await keys.keySource(Object.keys(settings.providers));
  const resolver = buildResolver(settings, source, process.env, undefined, { 'vscode-lm': (id, p) => createLmProvider(id, p, vscode) });
  const models = await offeredModels();
  const keyed = Object.entries(settings.providers)
    .filter(([, p]) => kindInfo(p.kind).key === 'required')
    .map(([id]) => id);
  if (models.length && !isUserSet('orchestrator', scope) && !isUserSet('roles', scope) && !keyed.some((id) => resolver.hasKey(id))) {
    const builtIn = Object.entries(settings.providers).find(([, p]) => kindInfo(p.kind).billing === 'plan' && !p.vendor)?.[0];
    const picked = builtIn && defaultLineup(models, settings, builtIn);
    if (picked) return { config: { ...settings, ...picked }, resolver, models, lineup: true };
  }
  return { config: settings, resolver, models, lineup: false };
}

/**
 * The configuration with the `${…}` variables of the MCP servers in use resolved (`input` asks for an
 * `${input:…}`: SecretStorage, else an input box), and the values the session must redact. Throws an
 * McpConfigError for a role naming an unknown server or an input not given.
 */
export async function resolveMcp(
  engine: Engine,
  workspace: string,
  input: (i: McpInput) => Promise<string | undefined>,
): Promise<{ config: EngineConfig; secrets: string[] }> {
  if (!serversInUse(engine.config).length) return { config: engine.config, secrets: [] };
  return resolveMcpVariables(engine.config, {
    workspaceFolder: workspace,
    userHome: os.homedir(),
    env: process.env,
    inputs: engine.mcpInputs,
    input,
    pathSeparator: path.sep,
  });
}
