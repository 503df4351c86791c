// Session configuration: the same keys as the extension's `ensemble.*` settings and the CLI's
// `.ensemble/config.json`. Defaults reproduce the seed: the orchestrator on Claude, the front end on
// OpenAI, the back end on Gemini, QA on a cheap OpenAI model.

import { z } from 'zod';
import type { ModelRef } from './events';
import { MAX_CANDIDATES, MIN_CANDIDATES } from './best-of';

export { candidatesFor, MAX_CANDIDATES, MIN_CANDIDATES } from './best-of';
import { mcpPolicySchema, mcpServersSchema, mcpSelection, DEFAULT_MCP_POLICY, type McpPolicy, type McpServerConfig } from './mcp-config';

/** A model a role runs on; `contextWindow` (tokens) overrides what the price library says of the model. */
const modelRef = z.object({ provider: z.string().min(1), model: z.string().min(1), contextWindow: z.number().int().min(1024).optional() });
const priceRow = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cachedInput: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
  date: z.string().optional(),
  source: z.string().optional(),
});

/** A user's price row, USD per 1M tokens. */
export interface Price {
  input: number;
  output: number;
  /** Cache reads; when absent, billed at the input price (never understated). */
  cachedInput?: number;
  /** Cache writes (Anthropic); when absent, billed at the input price. */
  cacheWrite?: number;
  date?: string;
  source?: string;
}

export type PriceTable = Record<string, Price>;

export const configSchema = z.object({
  orchestrator: modelRef.extend({ fallback: modelRef.optional(), mcp: mcpSelection.optional() }).optional(),
  roles: z
    .record(
      z.string(),
      modelRef.extend({
        fallback: modelRef.optional(),
        description: z.string().optional(),
        mcp: mcpSelection.optional(),
        /** Best of several: every task of this role is done by each of these models in its own copy, and judged by its check. */
        bestOf: z.array(modelRef).min(MIN_CANDIDATES).max(MAX_CANDIDATES).optional(),
      }),
    )
    .optional(),
  providers: z
    .record(
      z.string(),
      z.object({
        /** An adapter kind registered in src/providers (the engine does not list them). */
        kind: z.string().min(1).optional(),
        baseUrl: z.string().optional(),
        headers: z.record(z.string(), z.string()).optional(),
        timeoutMs: z.number().int().positive().optional(),
        apiKeyEnv: z.string().optional(),
        maxConcurrency: z.number().int().positive().optional(),
        /** `vscode-lm`: only the chat models of this vendor (`copilot`, …). */
        vendor: z.string().min(1).optional(),
      }),
    )
    .optional(),
  maxConcurrency: z.number().int().positive().max(64).optional(),
  budgetUsd: z.number().positive().optional(),
  pricing: z.record(z.string(), priceRow).optional(),
  maxTurns: z.number().int().positive().max(200).optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  retry: z.object({ maxRetries: z.number().int().min(0).max(10).optional(), maxBackoffMs: z.number().int().positive().optional() }).optional(),
  validation: z.object({ runTests: z.enum(['ask', 'always', 'never']).optional(), timeoutMs: z.number().int().positive().optional() }).optional(),
  /** `ask`: the plan waits for the user's approval (edit, replan with feedback, cancel); `auto`: it runs at once. */
  planApproval: z.enum(['ask', 'auto']).optional(),
  /** Best of several for every task with a check: the first N configured providers (the CLI's --best-of N). */
  bestOf: z.number().int().min(MIN_CANDIDATES).max(MAX_CANDIDATES).optional(),
  /** `auto`: the measured verdict's candidate is applied; `ask`: the user picks the candidate to apply. */
  candidateApproval: z.enum(['ask', 'auto']).optional(),
  commands: z
    .object({
      run: z.enum(['ask', 'allowed', 'always', 'never']).optional(),
      allow: z.array(z.string().trim().min(1)).optional(),
      timeoutMs: z.number().int().positive().optional(),
      /** `auto`: commands and the generated tests run in the platform's sandbox; `off`: without one (the user's explicit choice). */
      sandbox: z.enum(['auto', 'off']).optional(),
      network: z.enum(['on', 'off']).optional(),
    })
    .optional(),
  /** MCP servers by name, in the shape of VS Code's mcp.json `servers` (src/core/session/mcp-config.ts). */
  mcpServers: mcpServersSchema.optional(),
  mcp: mcpPolicySchema.optional(),
});

export type UserConfig = z.infer<typeof configSchema>;

/** A model as configured: the route, and its context window when the user gave it (tokens; wins over the price library's). */
export interface ModelBinding extends ModelRef {
  contextWindow?: number;
}

export interface RoleConfig extends ModelBinding {
  fallback?: ModelBinding;
  description?: string;
  /** The MCP servers (`github`) and tools (`github/search_issues`) this role's agents get; none by default. */
  mcp?: string[];
  /** Best of several: each of this role's tasks is done by each of these models (2–4), judged by the task's check. */
  bestOf?: ModelBinding[];
}

export interface ProviderSettings {
  /** One of the kinds of src/providers/kinds.json (an unknown one is refused when the providers are built). */
  kind: string;
  baseUrl?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  apiKeyEnv?: string;
  maxConcurrency?: number;
  /** `vscode-lm`: only the chat models of this vendor (`copilot`, …); all of them when absent. */
  vendor?: string;
}

/** What the engine must know of a provider kind: whether it needs a key, how its calls are billed, where it can be reached. */
export interface KindTraits {
  key: 'required' | 'optional' | 'none';
  billing: 'tokens' | 'plan';
  reach: 'anywhere' | 'vscode';
}

/** A kind's traits unless KIND_TRAITS says otherwise: a key, a price per token, reachable from anywhere (the SDK kinds). */
const DEFAULT_TRAITS: KindTraits = { key: 'required', billing: 'tokens', reach: 'anywhere' };

/**
 * The kinds that differ from that. The kinds themselves are listed once, in src/providers/kinds.json
 * (the engine does not import it: a unit test holds this table to it); the adapters live outside the
 * engine (src/providers for the SDKs, src/vscode for `vscode-lm`).
 */
export const KIND_TRAITS: Readonly<Record<string, KindTraits>> = {
  /** A key only with `apiKeyEnv` (a local server needs none). */
  'openai-compatible': { key: 'optional', billing: 'tokens', reach: 'anywhere' },
  /** VS Code's Language Model API: the models the user already has (Copilot…), paid by their plan, reachable only in the editor. */
  'vscode-lm': { key: 'none', billing: 'plan', reach: 'vscode' },
};

/** What the engine knows of a kind (an unknown kind is refused when the providers are built: src/node/providers.ts). */
export function kindInfo(kind: string): KindTraits {
  return Object.hasOwn(KIND_TRAITS, kind) ? KIND_TRAITS[kind]! : DEFAULT_TRAITS;
}

/** `a, b, c or d`. */
export function orList(xs: readonly string[]): string {
  return xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}` : (xs[0] ?? '');
}

export interface EngineConfig {
  orchestrator: RoleConfig;
  roles: Record<string, RoleConfig>;
  providers: Record<string, ProviderSettings>;
  maxConcurrency: number;
  budgetUsd?: number;
  pricing: PriceTable;
  maxTurns: number;
  maxOutputTokens: number;
  retry: { maxRetries: number; baseBackoffMs: number; maxBackoffMs: number };
  validation: { runTests: 'ask' | 'always' | 'never'; timeoutMs: number };
  /** The engine's default is `auto` (the CLI without --approve-plan); VS Code's setting defaults to `ask`. */
  planApproval: 'ask' | 'auto';
  /** Best of the first N configured providers for every task that has a check (`ensemble run --best-of N`). */
  bestOf?: number;
  /** `auto`: the candidate the check and the price chose is applied; `ask`: the user picks it. */
  candidateApproval: 'ask' | 'auto';
  commands: CommandPolicy;
  /** MCP servers by name (variables such as `${input:…}` resolved by the wiring: mcp-config.ts). */
  mcpServers: Record<string, McpServerConfig>;
  mcp: McpPolicy;
}

/**
 * Which shell commands agents may run (the run_command tool). `ask`: a command matching `allow` runs,
 * any other is put to the user (denied when nobody can be asked); `allowed`: only `allow` runs, nobody
 * is asked; `always`: everything runs (containers, sandboxes); `never`: the tool is not offered.
 */
export interface CommandPolicy {
  run: 'ask' | 'allowed' | 'always' | 'never';
  /** Patterns (src/core/session/command-policy.ts): exact, or `*` for a run of plain text as the shell reads it (quoted operators are text). */
  allow: string[];
  /** The longest a command may run; a model may ask for less, never more. */
  timeoutMs: number;
  /**
   * `auto`: every command and the generated tests run in the platform's sandbox (src/node/sandbox.ts);
   * where there is none, no command runs unasked, whatever `run` and `allow` say. `off`: they run
   * without a sandbox and the policy applies as written (the user's explicit choice).
   */
  sandbox: 'auto' | 'off';
  /** Whether a sandboxed command (and the generated tests) may use the network. */
  network: 'on' | 'off';
}

export const DEFAULT_ROLES: Record<string, RoleConfig> = {
  frontend: { provider: 'openai', model: 'gpt-5', description: 'Front-end specialist: HTML, CSS, browser JavaScript, accessibility.' },
  backend: { provider: 'gemini', model: 'gemini-2.5-pro', description: 'Back-end specialist: Node.js servers, HTTP APIs, data storage.' },
  qa: {
    provider: 'openai',
    model: 'gpt-5-mini',
    description: 'QA specialist: automated tests with node:test, test data, edge cases; runs the tests it writes whenever it has a tool to run commands.',
  },
};

export const BUILTIN_PROVIDERS: Record<string, ProviderSettings> = {
  openai: { kind: 'openai' },
  anthropic: { kind: 'anthropic' },
  gemini: { kind: 'gemini' },
  /** VS Code's language models (any vendor); `providers.<id>` with kind `vscode-lm` and a `vendor` narrows them. */
  vscode: { kind: 'vscode-lm' },
};

export function defaultConfig(): EngineConfig {
  return {
    orchestrator: { provider: 'anthropic', model: 'claude-opus-4-8' },
    roles: structuredClone(DEFAULT_ROLES),
    providers: structuredClone(BUILTIN_PROVIDERS),
    maxConcurrency: 4,
    pricing: {},
    maxTurns: 24,
    maxOutputTokens: 8192,
    retry: { maxRetries: 3, baseBackoffMs: 500, maxBackoffMs: 20_000 },
    validation: { runTests: 'ask', timeoutMs: 120_000 },
    planApproval: 'auto',
    candidateApproval: 'auto',
    commands: { run: 'ask', allow: [], timeoutMs: 120_000, sandbox: 'auto', network: 'on' },
    mcpServers: {},
    mcp: { ...DEFAULT_MCP_POLICY, allow: [] },
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a user's config (from a file or settings) and lays it over the defaults. */
export function resolveConfig(input: unknown, where = 'configuration'): EngineConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid ${where}: ${issues}`);
  }
  const u = parsed.data;
  const base = defaultConfig();
  const providers: Record<string, ProviderSettings> = { ...base.providers };
  for (const [name, p] of Object.entries(u.providers ?? {})) {
    const kind = p.kind ?? providers[name]?.kind;
    if (!kind)
      throw new ConfigError(
        `Invalid ${where}: providers.${name} needs a "kind" (e.g. "openai-compatible" for a server with an OpenAI-style API; the ensemble.providers setting lists every kind).`,
      );
    providers[name] = { ...providers[name], ...p, kind };
  }
  const cfg: EngineConfig = {
    orchestrator: u.orchestrator ?? base.orchestrator,
    roles: u.roles ?? base.roles,
    providers,
    maxConcurrency: u.maxConcurrency ?? base.maxConcurrency,
    budgetUsd: u.budgetUsd,
    pricing: u.pricing ?? {},
    maxTurns: u.maxTurns ?? base.maxTurns,
    maxOutputTokens: u.maxOutputTokens ?? base.maxOutputTokens,
    retry: { ...base.retry, ...u.retry },
    validation: { ...base.validation, ...u.validation },
    planApproval: u.planApproval ?? base.planApproval,
    bestOf: u.bestOf,
    candidateApproval: u.candidateApproval ?? base.candidateApproval,
    commands: { ...base.commands, ...u.commands },
    mcpServers: u.mcpServers ?? {},
    mcp: { ...base.mcp, ...u.mcp },
  };
  const refs: [string, ModelRef | undefined][] = [
    ['orchestrator', cfg.orchestrator],
    ['orchestrator.fallback', cfg.orchestrator.fallback],
  ];
  for (const [name, r] of Object.entries(cfg.roles)) {
    refs.push([`roles.${name}`, r], [`roles.${name}.fallback`, r.fallback]);
    r.bestOf?.forEach((b, i) => refs.push([`roles.${name}.bestOf.${i}`, b]));
  }
  for (const [where2, ref] of refs) {
    if (ref && !cfg.providers[ref.provider]) {
      throw new ConfigError(
        `Invalid ${where}: ${where2} uses provider "${ref.provider}", which is not defined. Known providers: ${Object.keys(cfg.providers).join(', ')}.`,
      );
    }
  }
  if (Object.keys(cfg.roles).length === 0) throw new ConfigError(`Invalid ${where}: at least one role is needed.`);
  return cfg;
}

/** The context windows the configuration gives (`contextWindow` on a binding), by `provider/model`; the smallest when several differ. */
export function configuredWindows(cfg: Pick<EngineConfig, 'orchestrator' | 'roles'>): Map<string, number> {
  const out = new Map<string, number>();
  const bindings = [cfg.orchestrator, cfg.orchestrator.fallback, ...Object.values(cfg.roles).flatMap((r) => [r, r.fallback])];
  for (const b of bindings) {
    if (!b?.contextWindow) continue;
    const key = `${b.provider}/${b.model}`;
    out.set(key, Math.min(out.get(key) ?? Infinity, b.contextWindow));
  }
  return out;
}

/** Every provider/model pair a session with this config may call (for pre-flight and pricing). */
export function modelsInUse(cfg: EngineConfig): ModelRef[] {
  const all = [cfg.orchestrator, cfg.orchestrator.fallback, ...Object.values(cfg.roles).flatMap((r) => [r, r.fallback, ...(r.bestOf ?? [])])].filter(
    (r): r is ModelRef => !!r,
  );
  const seen = new Set<string>();
  return all
    .filter((r) => (seen.has(`${r.provider}/${r.model}`) ? false : (seen.add(`${r.provider}/${r.model}`), true)))
    .map(({ provider, model }) => ({ provider, model }));
}

/** `openai` → `OPENAI`, `my-llm` → `MY_LLM`: the stem of a provider's environment variables. */
function envStem(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * The environment variable that holds a provider's key: `apiKeyEnv`, else `<ID>_API_KEY`
 * (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY). An OpenAI-compatible endpoint without
 * `apiKeyEnv` needs no key (a local Ollama, LM Studio, vLLM).
 */
export function keyEnvVar(id: string, p: ProviderSettings): string | undefined {
  const key = kindInfo(p.kind).key;
  if (key === 'none') return undefined; // VS Code's models: the editor holds the user's access
  if (p.apiKeyEnv !== undefined) return p.apiKeyEnv || undefined;
  if (key === 'optional') return undefined;
  return `${envStem(id)}_API_KEY`;
}

/** A binding (`orchestrator`, `roles.qa`, `roles.qa.fallback`…) to a provider only the editor can reach. */
export interface EditorOnlyBinding {
  who: string;
  provider: string;
  model: string;
}

/** The bindings to providers only VS Code can reach (kind `vscode-lm`): the command line refuses them before anything runs. */
export function editorOnlyBindings(cfg: Pick<EngineConfig, 'orchestrator' | 'roles' | 'providers'>): EditorOnlyBinding[] {
  const all: [string, ModelRef | undefined][] = [
    ['orchestrator', cfg.orchestrator],
    ['orchestrator.fallback', cfg.orchestrator.fallback],
  ];
  for (const [name, r] of Object.entries(cfg.roles)) all.push([`roles.${name}`, r], [`roles.${name}.fallback`, r.fallback]);
  return all.flatMap(([who, r]) =>
    r && kindInfo(cfg.providers[r.provider]?.kind ?? '').reach === 'vscode' ? [{ who, provider: r.provider, model: r.model }] : [],
  );
}

/** The environment variable that overrides a provider's base URL: `<ID>_BASE_URL`. */
export function baseUrlEnvVar(id: string): string {
  return `${envStem(id)}_BASE_URL`;
}

export interface MissingKey {
  provider: string;
  envVar: string;
  usedBy: string[];
}

/** Which providers the configured roles need but have no key for (checked before any request). */
export function missingKeys(cfg: EngineConfig, hasKey: (providerId: string) => boolean): MissingKey[] {
  const needs = new Map<string, string[]>();
  const need = (provider: string, who: string) => needs.set(provider, [...(needs.get(provider) ?? []), who]);
  need(cfg.orchestrator.provider, 'orchestrator');
  for (const [name, r] of Object.entries(cfg.roles)) need(r.provider, `roles.${name}`);
  const out: MissingKey[] = [];
  for (const [provider, usedBy] of needs) {
    const settings = cfg.providers[provider];
    const envVar = settings ? keyEnvVar(provider, settings) : undefined;
    if (envVar && !hasKey(provider)) out.push({ provider, envVar, usedBy });
  }
  return out;
}
