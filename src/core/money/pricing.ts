// Prices in USD per 1M tokens, and the cost of a call's usage. A model with no price has an
// unknown cost (null), never $0.00. Users override or add rows with the `pricing` setting.

import type { Usage } from '../ports';

export interface Price {
  input: number;
  output: number;
  /** Cache reads; when absent, cached tokens are billed at the input price (never understated). */
  cachedInput?: number;
  /** Cache writes (Anthropic); when absent, billed at the input price. */
  cacheWrite?: number;
  /** When the row was last checked, and where it came from. */
  date?: string;
  source?: string;
}

export type PriceTable = Record<string, Price>;

const GP = 'pydantic/genai-prices 47df840a, citing the vendor pricing page';
const OPENAI = `${GP} (openai.com/api/pricing)`;
const GOOGLE = `${GP} (ai.google.dev/gemini-api/docs/pricing)`;
const ANTHROPIC = `${GP} (anthropic.com/pricing)`;
const D = '2026-08-21';
const GP8 = 'npm @pydantic/genai-prices 0.1.8 data, checked 2026-11-24';

/**
 * The default table, keyed `provider/model`. A row also prices dated snapshots of its model
 * (`gpt-4o-2024-08-06`, `claude-opus-4-5-20251101` use `gpt-4o`, `claude-opus-4-5`); any other name
 * needs its own row.
 */
export const DEFAULT_PRICES: PriceTable = {
  'openai/gpt-5': { input: 1.25, output: 10, cachedInput: 0.125, date: D, source: OPENAI },
  'openai/gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025, date: D, source: OPENAI },
  'openai/gpt-4.1': { input: 2, output: 8, cachedInput: 0.5, date: D, source: OPENAI },
  'openai/gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1, date: D, source: OPENAI },
  'openai/gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25, date: D, source: OPENAI },
  'openai/gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075, date: D, source: OPENAI },
  'openai/gpt-4': { input: 30, output: 60, date: D, source: `${OPENAI}; legacy, the seed's frontend model` },
  'openai/gpt-3.5-turbo': { input: 0.5, output: 1.5, date: D, source: `${OPENAI}; legacy, the seed's QA model` },
  'gemini/gemini-2.5-pro': { input: 1.25, output: 10, cachedInput: 0.125, date: D, source: `${GOOGLE}; prompts over 200k tokens cost 2.50/15.00` },
  'gemini/gemini-2.5-flash': { input: 0.3, output: 2.5, cachedInput: 0.03, date: D, source: GOOGLE },
  'gemini/gemini-2.0-flash': { input: 0.1, output: 0.4, date: D, source: GOOGLE },
  'gemini/gemini-1.5-pro': { input: 1.25, output: 5, date: D, source: `${GOOGLE}; retired, last list price` },
  'gemini/gemini-pro': { input: 0.5, output: 1.5, date: D, source: `${GOOGLE}; retired, last list price (the seed's backend model)` },
  'anthropic/claude-opus-4-8': { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25, date: '2026-11-24', source: GP8 },
  'anthropic/claude-opus-4-6': { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25, date: '2026-11-24', source: `${GP8}; prompts over 200k tokens cost more` },
  'anthropic/claude-sonnet-4-6': { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, date: '2026-11-24', source: `${GP8}; prompts over 200k tokens cost more` },
  'anthropic/claude-opus-4-5': { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25, date: D, source: ANTHROPIC },
  'anthropic/claude-opus-4-1': { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75, date: D, source: ANTHROPIC },
  'anthropic/claude-opus-4': { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75, date: D, source: `${ANTHROPIC} (the seed's Claude Opus)` },
  'anthropic/claude-opus': { input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75, date: D, source: `${ANTHROPIC}; Claude 3 Opus, the seed's orchestrator` },
  'anthropic/claude-sonnet-4-5': { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, date: D, source: ANTHROPIC },
  'anthropic/claude-sonnet-4': { input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75, date: D, source: ANTHROPIC },
  'anthropic/claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1, cacheWrite: 1.25, date: D, source: ANTHROPIC },
};

const SNAPSHOT_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$/;

/** Finds the price for a provider's model: the exact row, else the row of the undated model. */
export function findPrice(table: PriceTable, provider: string, model: string): Price | undefined {
  return table[`${provider}/${model}`] ?? table[`${provider}/${model.replace(SNAPSHOT_SUFFIX, '')}`];
}

/** Dollars for one call's usage; null when the model has no price. */
export function costOf(usage: Usage, price: Price | undefined): number | null {
  if (!price) return null;
  const cached = usage.cachedInput ?? 0;
  const written = usage.cacheWrite ?? 0;
  return (usage.input * price.input + usage.output * price.output + cached * (price.cachedInput ?? price.input) + written * (price.cacheWrite ?? price.input)) / 1e6;
}

/** Merges user overrides (same keys) over the defaults. */
export function mergePrices(base: PriceTable, overrides: PriceTable | undefined): PriceTable {
  return { ...base, ...(overrides ?? {}) };
}
