// The one entry point to the SDK adapters: a ProviderConfig in, a ChatProvider out. Nothing in
// src/providers knows about sessions, roles or the engine beyond the ports.

import type { ChatProvider } from '../core/ports';
import { createAnthropicProvider } from './anthropic';
import type { ProviderConfig, ProviderKind } from './config';
import { createGeminiProvider } from './gemini';
import { createOpenAIProvider } from './openai';
import KINDS from './kinds.json';

export type { ProviderConfig, ProviderKind } from './config';
export { DEFAULT_TIMEOUT_MS } from './config';
export { classifyStatus, parseRetryAfter } from './errors';

/** The adapter kinds this build knows (kinds.json); configuration names one per provider. */
export const PROVIDER_KINDS = Object.keys(KINDS.kinds) as readonly ProviderKind[];

/** The kinds no SDK adapter serves (kinds.json `hostKinds`): the host that reaches them builds them (VS Code's `vscode-lm`). */
export const HOST_KINDS = Object.keys(KINDS.hostKinds) as readonly (keyof typeof KINDS.hostKinds)[];

/** Every kind a configuration may name: the SDK adapters', then the hosts'. */
export const ALL_KINDS: readonly string[] = [...PROVIDER_KINDS, ...HOST_KINDS];

export function isProviderKind(kind: string): kind is ProviderKind {
  return (PROVIDER_KINDS as readonly string[]).includes(kind);
}

export function createProvider(config: ProviderConfig): ChatProvider {
  switch (config.kind) {
    case 'openai':
    case 'openai-compatible':
      return createOpenAIProvider(config);
    case 'anthropic':
      return createAnthropicProvider(config);
    case 'gemini':
      return createGeminiProvider(config);
    default: {
      const kind: never = config.kind;
      throw new Error(`Unknown provider kind: ${String(kind)}`);
    }
  }
}
