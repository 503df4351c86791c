// What the configuration's bindings to VS Code's language models (`vscode-lm` providers) become once the
// models VS Code offers are known: which bound model is not there, each bound model's context window
// (its `maxInputTokens`), and — with no key set and no roles configured — a default line-up made of the
// models VS Code offers. Pure functions of plain model descriptions: no `vscode` at run time.

import { kindInfo, type EngineConfig, type ModelBinding, type RoleConfig } from '../core/config';

/** What the adapter and the pre-flight need to know of a model VS Code offers. */
export interface LmModelInfo {
  id: string;
  vendor: string;
  family: string;
  name: string;
  maxInputTokens: number;
  /** Tool calling, where the editor says (VS Code 1.104+); Ensemble's agents cannot work without it. */
  capabilities?: { supportsToolCalling?: boolean };
}

/** A binding (`orchestrator`, `roles.qa`, `roles.qa.fallback`) of the configuration, with the model it names. */
export interface LmBinding {
  who: string;
  provider: string;
  model: string;
  /** The provider's `vendor`, when it narrows the models. */
  vendor?: string;
}

/** Every binding of `cfg` to a `vscode-lm` provider. */
export function lmBindings(cfg: Pick<EngineConfig, 'orchestrator' | 'roles' | 'providers'>): LmBinding[] {
  const all: [string, ModelBinding | undefined][] = [
    ['orchestrator', cfg.orchestrator],
    ['orchestrator.fallback', cfg.orchestrator.fallback],
  ];
  for (const [name, r] of Object.entries(cfg.roles)) all.push([`roles.${name}`, r], [`roles.${name}.fallback`, r.fallback]);
  return all.flatMap(([who, r]) => {
    const p = r && cfg.providers[r.provider];
    return r && p && kindInfo(p.kind).billing === 'plan' ? [{ who, provider: r.provider, model: r.model, ...(p.vendor ? { vendor: p.vendor } : {}) }] : [];
  });
}

/** The model a binding names among those offered: by id, else by family (the first of it). */
export function matchModel<M extends LmModelInfo>(models: readonly M[], b: Pick<LmBinding, 'model' | 'vendor'>): M | undefined {
  const ofVendor = models.filter((m) => !b.vendor || m.vendor === b.vendor);
  return ofVendor.find((m) => m.id === b.model) ?? ofVendor.find((m) => m.family === b.model);
}

/**
 * Sets the context window of each binding to VS Code's models that gives none: the model's prompt limit
 * (`maxInputTokens`) plus the answer's room the engine keeps free inside the window (`maxOutputTokens`).
 */
export function withModelWindows(cfg: EngineConfig, models: readonly LmModelInfo[]): EngineConfig {
  const provider = (r: ModelBinding) => cfg.providers[r.provider];
  const fit = <T extends ModelBinding>(r: T | undefined): T | undefined => {
    const p = r && provider(r);
    if (!r || !p || kindInfo(p.kind).billing !== 'plan' || r.contextWindow) return r;
    const m = matchModel(models, { model: r.model, vendor: p.vendor });
    return m && m.maxInputTokens > 0 ? { ...r, contextWindow: m.maxInputTokens + cfg.maxOutputTokens } : r;
  };
  const role = (r: RoleConfig): RoleConfig => ({ ...fit(r)!, ...(r.fallback ? { fallback: fit(r.fallback) } : {}) });
  return { ...cfg, orchestrator: role(cfg.orchestrator), roles: Object.fromEntries(Object.entries(cfg.roles).map(([n, r]) => [n, role(r)])) };
}

/** What each default role prefers among VS Code's models (searched in `family id name`), best first. */
const PREFERENCES: Record<string, RegExp[]> = {
  orchestrator: [/claude[^ ]*(opus|sonnet)|\b(opus|sonnet)\b/i, /gpt-5(?![\w.-]*mini)|gpt-4\.1(?!-mini)|\bo3\b/i, /gemini[^ ]*pro/i],
  frontend: [/gpt-5(?![\w.-]*mini)|gpt-4\.1(?!-mini)|gpt-4o(?!-mini)/i, /claude/i, /gemini/i],
  backend: [/gemini[^ ]*pro/i, /gemini/i, /claude/i, /gpt/i],
  qa: [/(^|[-_ .])mini\b|flash|haiku/i, /gpt/i, /gemini/i],
};

/**
 * A line-up on VS Code's models, for a user who set no key and configured no roles: each default role on
 * the model that suits it best among those offered (Claude to orchestrate, GPT for the front end, Gemini for
 * the back end, a small model for QA, where offered), with another model as its fallback. Models that say
 * they cannot call tools are left out; Copilot's `auto` only when nothing else is there. Undefined when
 * VS Code offers no model.
 */
export function defaultLineup(
  models: readonly LmModelInfo[],
  base: Pick<EngineConfig, 'orchestrator' | 'roles'>,
  provider = 'vscode',
): Pick<EngineConfig, 'orchestrator' | 'roles'> | undefined {
  const usable = models.filter((m) => m.capabilities?.supportsToolCalling !== false);
  const candidates = usable.filter((m) => m.id !== 'auto').length ? usable.filter((m) => m.id !== 'auto') : usable;
  if (!candidates.length) return undefined;
  const pick = (role: string): RoleConfig => {
    const prefs = PREFERENCES[role] ?? [];
    const text = (m: LmModelInfo) => `${m.family} ${m.id} ${m.name}`;
    const chosen = prefs.map((re) => candidates.find((m) => re.test(text(m)))).find(Boolean) ?? candidates[0]!;
    const other = candidates.find((m) => m.family !== chosen.family) ?? candidates.find((m) => m.id !== chosen.id);
    return { provider, model: chosen.id, ...(other ? { fallback: { provider, model: other.id } } : {}) };
  };
  const roles: Record<string, RoleConfig> = {};
  for (const [name, r] of Object.entries(base.roles)) roles[name] = { ...pick(name), ...(r.description ? { description: r.description } : {}) };
  return { orchestrator: pick('orchestrator'), roles };
}
