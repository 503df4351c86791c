// How a provider is configured. Kept apart from index.ts so the adapters can import it without a cycle.
import KINDS from './kinds.json';

/** An adapter kind this build knows: the keys of kinds.json, the one list of kinds and their SDKs. */
export type ProviderKind = keyof typeof KINDS.kinds;

export interface ProviderConfig {
  /** The id used in config, events and the report (`openai`, `anthropic`, `gemini`, or the name given to a compatible endpoint). */
  id: string;
  kind: ProviderKind;
  apiKey: string;
  /** OpenAI and compatible kinds: include `/v1`. Anthropic and Gemini: the origin only. A query string is sent on every request. */
  baseUrl?: string;
  /** Extra headers sent on every request. */
  headers?: Record<string, string>;
  /** The longest wait for the response to start, or for the next streamed chunk (default 120000). */
  timeoutMs?: number;
  /** The setting to name when the key is rejected, e.g. `OPENROUTER_API_KEY`. */
  keyHint?: string;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
