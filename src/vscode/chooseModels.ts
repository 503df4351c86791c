// Ensemble: Choose Models — a quick pick per role (the orchestrator first) over the chat models VS Code
// offers, written to the `ensemble.orchestrator` and `ensemble.roles` settings. Escape at any step writes
// nothing. Scripts and tests pass the choices instead (`{ orchestrator?: id, roles?: { name: id } }`).
// Part of the session runtime (runtime.ts); the command is registered by modelCommands.ts.
import * as vscode from 'vscode';
import { kindInfo, type EngineConfig, type RoleConfig } from '../core/config';
import { loadLineup } from './engine';
import type { ApiKeys } from './secrets';
import { matchModel, type LmModelInfo } from './lmLineup';

/** The choices given instead of the quick picks: a model id (or family) per role, `orchestrator` apart. */
export interface ModelChoices {
  orchestrator?: string;
  roles?: Record<string, string>;
}

/** The `vscode-lm` provider to bind a model to: the binding's own when it offers that model's vendor, else one with no vendor (the built-in `vscode`). */
function providerFor(cfg: EngineConfig, current: string, m: LmModelInfo): string | undefined {
  const offers = (id: string) => {
    const p = cfg.providers[id];
    return !!p && kindInfo(p.kind).billing === 'plan' && (!p.vendor || p.vendor === m.vendor);
  };
  if (offers(current)) return current;
  return Object.keys(cfg.providers).find((id) => offers(id) && !cfg.providers[id]!.vendor) ?? Object.keys(cfg.providers).find(offers);
}

/** A role rebound to `m`: its description and fallback kept (unless the fallback is now the same model), its old model's window dropped. */
function rebind(cfg: EngineConfig, r: RoleConfig, m: LmModelInfo): RoleConfig {
  const provider = providerFor(cfg, r.provider, m);
  if (!provider) throw new Error(`No provider of kind "vscode-lm" offers ${m.vendor}'s models: remove the vendor from ensemble.providers, or add one.`);
  const { contextWindow: _old, fallback, ...rest } = r;
  const keep = fallback && !(fallback.provider === provider && fallback.model === m.id) ? { fallback } : {};
  return { ...rest, provider, model: m.id, ...keep };
}

/** Where the user keeps a setting now: that scope is rewritten; the user settings when it is not set. */
function targetOf(section: vscode.WorkspaceConfiguration, name: string): vscode.ConfigurationTarget {
  const i = section.inspect(name);
  if (i?.workspaceFolderValue !== undefined) return vscode.ConfigurationTarget.WorkspaceFolder;
  if (i?.workspaceValue !== undefined) return vscode.ConfigurationTarget.Workspace;
  return vscode.ConfigurationTarget.Global;
}

async function pickModel(models: readonly LmModelInfo[], role: string, step: string, r: RoleConfig): Promise<LmModelInfo | 'keep' | undefined> {
  const current = matchModel(models, { model: r.model });
  type Item = vscode.QuickPickItem & { model?: LmModelInfo };
  const items: Item[] = [
    { label: `$(history) Keep ${r.provider} / ${r.model}`, description: 'as it is now' },
    { label: 'Models VS Code offers', kind: vscode.QuickPickItemKind.Separator },
    ...models.map((m) => ({
      label: m.name,
      description: `${m.vendor} · ${m.family}${m === current ? ' · current' : ''}`,
      detail: `id ${m.id} · up to ${m.maxInputTokens.toLocaleString('en')} input tokens`,
      model: m,
    })),
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: `Ensemble: Choose Models (${step}): ${role}`,
    placeHolder: r.description ?? (role === 'orchestrator' ? 'Plans the work, and takes over escalated tasks' : `The model for ${role}`),
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (!pick) return undefined;
  return pick.model ?? 'keep';
}

/** Runs the command; returns whether the settings were written. */
export async function chooseModels(keys: ApiKeys, choices?: ModelChoices): Promise<boolean> {
  // What the pre-flight shows: the settings, or the default line-up on VS Code's models when no key is set.
  const { config: cfg, models, lineup } = await loadLineup(keys);
  if (!models.length) {
    void vscode.window.showInformationMessage(
      'Ensemble: VS Code offers no chat model. Sign in to GitHub Copilot (or install an extension that contributes chat models), then try again.',
    );
    return false;
  }
  const names = ['orchestrator', ...Object.keys(cfg.roles)];
  const chosen = new Map<string, LmModelInfo>();
  for (const [i, name] of names.entries()) {
    const r = name === 'orchestrator' ? cfg.orchestrator : cfg.roles[name]!;
    if (choices) {
      const wanted = name === 'orchestrator' ? choices.orchestrator : choices.roles?.[name];
      if (wanted === undefined) continue;
      const m = matchModel(models, { model: wanted });
      if (!m) throw new Error(`VS Code offers no chat model with the id or family "${wanted}" (for ${name}).`);
      chosen.set(name, m);
      continue;
    }
    const pick = await pickModel(models, name, `${i + 1}/${names.length}`, r);
    if (pick === undefined) return false; // Escape: nothing is written
    if (pick !== 'keep') chosen.set(name, pick);
  }
  if (!chosen.size) return false;
  const section = vscode.workspace.getConfiguration('ensemble');
  // The default line-up holds only while neither setting is set: both are written then, so that it stays as shown.
  const orchestrator = chosen.get('orchestrator');
  if (orchestrator || lineup)
    await section.update('orchestrator', orchestrator ? rebind(cfg, cfg.orchestrator, orchestrator) : cfg.orchestrator, targetOf(section, 'orchestrator'));
  const roleNames = names.slice(1).filter((n) => chosen.has(n));
  if (roleNames.length || lineup) {
    // ensemble.roles is the complete set of roles: every role is written, the ones not chosen as they were.
    const roles = Object.fromEntries(Object.entries(cfg.roles).map(([n, r]) => [n, chosen.has(n) ? rebind(cfg, r, chosen.get(n)!) : r]));
    await section.update('roles', roles, targetOf(section, 'roles'));
  }
  void vscode.window.showInformationMessage(`Ensemble: ${[...chosen].map(([n, m]) => `${n} → ${m.name}`).join(', ')}.`);
  return true;
}
