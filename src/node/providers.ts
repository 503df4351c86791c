// Builds the engine's provider resolver from the configuration and a key source (the environment
// for the CLI, SecretStorage then the environment for the extension). Keys stay here: they reach
// the SDK adapters and nothing else (not the config, not the log, not the report).

import type { ChatProvider } from '../core/ports';
import { baseUrlEnvVar, ConfigError, keyEnvVar, type EngineConfig, type ProviderSettings } from '../core/config';
import { secretsInEnv } from '../core/redact';
import { ALL_KINDS, createProvider, isProviderKind, type HOST_KINDS } from '../providers';

export interface KeySource {
  /** The key for a provider, or undefined. `envVar` is where the CLI would look for it. */
  key(providerId: string, envVar: string | undefined): string | undefined;
}

export function envKeys(env: NodeJS.ProcessEnv = process.env): KeySource {
  return { key: (_id, envVar) => (envVar ? env[envVar]?.trim() || undefined : undefined) };
}

const NO_KEY = 'not-needed';

export interface Resolver {
  resolve(providerId: string): ChatProvider | undefined;
  hasKey(providerId: string): boolean;
  /**
   * What must never be written or printed: every configured provider's key, its `headers` values
   * (they may carry credentials), and the environment's variables whose names say secret.
   */
  secrets(): string[];
}

/**
 * Providers of the kinds that are no SDK's, built by the host that can reach them: VS Code's language
 * models (`vscode-lm`) exist only in the editor, which passes their factory; elsewhere (the CLI) they
 * resolve to nothing, and the CLI refuses such a binding before it starts.
 */
export type HostProviders = Partial<Record<(typeof HOST_KINDS)[number], (id: string, settings: ProviderSettings) => ChatProvider>>;

/** `wrap` lets the CLI record a cassette around each provider; `hosts` builds the kinds no SDK adapter serves. */
export function buildResolver(
  cfg: EngineConfig,
  keys: KeySource,
  env: NodeJS.ProcessEnv = process.env,
  wrap: (p: ChatProvider) => ChatProvider = (p) => p,
  hosts: HostProviders = {},
): Resolver {
  for (const [id, p] of Object.entries(cfg.providers)) {
    if (!ALL_KINDS.includes(p.kind))
      throw new ConfigError(`providers.${id} has kind "${p.kind}", which this version of Ensemble does not know. Kinds: ${ALL_KINDS.join(', ')}.`);
  }
  const cache = new Map<string, ChatProvider | undefined>();
  const keyOf = (id: string): string | undefined => {
    const settings = cfg.providers[id];
    if (!settings) return undefined;
    const envVar = keyEnvVar(id, settings);
    if (!envVar) return NO_KEY; // a local OpenAI-compatible endpoint
    return keys.key(id, envVar);
  };
  return {
    hasKey: (id) => keyOf(id) !== undefined,
    secrets: () =>
      [...Object.keys(cfg.providers).map(keyOf), ...Object.values(cfg.providers).flatMap((p) => Object.values(p.headers ?? {})), ...secretsInEnv(env)].filter(
        (s): s is string => !!s && s !== NO_KEY,
      ),
    resolve(id) {
      if (cache.has(id)) return cache.get(id);
      const settings = cfg.providers[id];
      const apiKey = keyOf(id);
      let p: ChatProvider | undefined;
      if (settings && apiKey) {
        const baseUrl = env[baseUrlEnvVar(id)]?.trim() || settings.baseUrl;
        const kind = settings.kind;
        const host = hosts[kind as keyof HostProviders];
        if (isProviderKind(kind))
          p = wrap(createProvider({ id, kind, apiKey, baseUrl, headers: settings.headers, timeoutMs: settings.timeoutMs, keyHint: keyEnvVar(id, settings) }));
        else if (host) p = wrap(host(id, settings));
      }
      cache.set(id, p);
      return p;
    },
  };
}
