// What a model call costs, in USD. Prices come from @pydantic/genai-prices, a maintained price
// library (every model of every provider it knows, with price tiers and time-dependent prices), at
// the version installed with Ensemble: its data is never fetched from the network (no updatePrices).
// The user's `pricing` rows (`provider/model`, USD per 1M tokens) override it. A model priced by
// neither has an unknown cost (null), never $0.00.
//
// The library is plain data and code (no I/O, not an SDK), so the engine uses it directly, but only
// on first use: its ~480 KB of data is not parsed when the extension activates. The bundles map the
// require below to dist/prices.js (scripts/build.mjs); under tsx it is the installed package.

import type { Usage } from '../ports';
import type { EventBody, ModelRef, PricingModel } from '../events';
import { kindInfo, type Price, type PriceTable, type ProviderSettings } from '../config';

export type { Price, PriceTable };

/**
 * The price data Ensemble ships. The package carries no date, so the day this version was published
 * on npm is kept here; a unit test fails when the installed version differs, so a bump cannot forget it.
 */
export const PRICE_DATA = { source: '@pydantic/genai-prices', version: '0.1.8', publishedAt: '2026-09-23' } as const;

type PriceLibrary = typeof import('@pydantic/genai-prices');
let library: PriceLibrary | undefined;

function priceLibrary(): PriceLibrary {
  // A plain require on first use, so that importing the engine does not parse ~480 KB of price data.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (library ??= require('@pydantic/genai-prices') as PriceLibrary);
}

/** The library's provider for each of our built-in kinds (our `gemini` is its `google`). */
const LIBRARY_PROVIDER = new Map([
  ['openai', 'openai'],
  ['anthropic', 'anthropic'],
  ['gemini', 'google'],
]);

const SNAPSHOT_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$/;

type Match = { origin: 'override'; key: string; price: Price } | { origin: 'library'; provider: string; model: string };

/** Prices the calls of one configuration: overrides first, then the library, else unknown. */
export class Pricing {
  private readonly providerIds = new Map<string, string | undefined>();
  private readonly matches = new Map<string, Match | undefined>();
  private readonly windows = new Map<string, number | undefined>();

  constructor(
    private readonly overrides: PriceTable,
    private readonly providers: Record<string, ProviderSettings>,
  ) {}

  /**
   * Whether a model's calls are paid by the user's plan rather than per token: a provider of a kind billed
   * that way (VS Code's language models, through Copilot or another extension), unless a `pricing` row
   * prices the model. Such calls have no dollar figure: they reserve nothing against the budget and are
   * counted as requests (`billing: "plan"` on their events).
   */
  onPlan(ref: ModelRef): boolean {
    return kindInfo(this.providers[ref.provider]?.kind ?? '').billing === 'plan' && this.match(ref)?.origin !== 'override';
  }

  /** Dollars for one call's usage (at the time it was billed); null when the model has no price. */
  cost(ref: ModelRef, usage: Usage, at: Date = new Date()): number | null {
    const m = this.match(ref);
    if (!m) return null;
    if (m.origin === 'override') return overrideCost(m.price, usage);
    try {
      return priceLibrary().calcPrice(libraryUsage(usage), ref.model, { providerId: m.provider, timestamp: at })?.total_price ?? null;
    } catch {
      return null; // usage the library rejects: unknown, never a guess
    }
  }

  /**
   * The most a request can cost before it is sent: every prompt token at the dearest input rate (a
   * full price or a cache write) of the tier its prompt size reaches, and every output token it may
   * produce. Cache reads only cost less.
   */
  worstCase(ref: ModelRef, promptTokens: number, maxOutputTokens: number, at: Date = new Date()): number | null {
    const plain = this.cost(ref, { input: promptTokens, output: maxOutputTokens }, at);
    const written = this.cost(ref, { input: 0, cacheWrite: promptTokens, output: maxOutputTokens }, at);
    return plain === null || written === null ? null : Math.max(plain, written);
  }

  /**
   * The model's context window (tokens) as the price library's data gives it (`context_window`), also for
   * a model whose price a `pricing` row overrides; undefined when the library does not know it.
   */
  contextWindow(ref: ModelRef): number | undefined {
    const key = `${ref.provider}/${ref.model}`;
    if (!this.windows.has(key)) {
      const provider = this.libraryProvider(ref.provider);
      let window: number | undefined;
      try {
        window = provider
          ? priceLibrary().calcPrice({ input_tokens: 0, output_tokens: 0 }, ref.model, { providerId: provider })?.model.context_window
          : undefined;
      } catch {
        window = undefined;
      }
      this.windows.set(key, typeof window === 'number' && window > 0 ? window : undefined);
    }
    return this.windows.get(key);
  }

  /** The `pricing.loaded` event: which price data this run uses, and where each model's price comes from. */
  loaded(refs: readonly ModelRef[]): Extract<EventBody, { type: 'pricing.loaded' }> {
    return { type: 'pricing.loaded', ...PRICE_DATA, overrides: Object.keys(this.overrides), models: refs.map((r) => this.describe(r)) };
  }

  /** Where a model's price comes from. */
  describe(ref: ModelRef): PricingModel {
    const m = this.match(ref);
    const model = `${ref.provider}/${ref.model}`;
    if (this.onPlan(ref)) return { model, origin: 'plan' };
    if (!m) return { model, origin: 'unknown' };
    if (m.origin === 'override') return { model, origin: 'override', priceKey: m.key };
    return { model, origin: 'library', priceKey: `${m.provider}/${m.model}` };
  }

  private match(ref: ModelRef): Match | undefined {
    const key = `${ref.provider}/${ref.model}`;
    if (!this.matches.has(key)) this.matches.set(key, this.findMatch(ref));
    return this.matches.get(key);
  }

  private findMatch(ref: ModelRef): Match | undefined {
    for (const k of [`${ref.provider}/${ref.model}`, `${ref.provider}/${ref.model.replace(SNAPSHOT_SUFFIX, '')}`]) {
      const price = this.overrides[k];
      if (price) return { origin: 'override', key: k, price };
    }
    if (kindInfo(this.providers[ref.provider]?.kind ?? '').billing === 'plan') return undefined; // never a per-token price the user does not pay
    const provider = this.libraryProvider(ref.provider);
    if (!provider) return undefined;
    try {
      const r = priceLibrary().calcPrice({ input_tokens: 0, output_tokens: 0 }, ref.model, { providerId: provider });
      return r ? { origin: 'library', provider: r.provider.id, model: r.model.id } : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The library's provider for one of ours. Its base URL says where the bill comes from (Groq,
   * DeepSeek, OpenRouter…); else a built-in kind names its vendor; else an OpenAI-compatible
   * provider is known by its name (`groq`, `deepseek`, `openrouter`…).
   */
  private libraryProvider(id: string): string | undefined {
    if (!this.providerIds.has(id)) {
      const settings = this.providers[id];
      const lib = priceLibrary();
      const byUrl = settings?.baseUrl ? lib.findProvider({ providerApiUrl: settings.baseUrl }) : undefined;
      this.providerIds.set(id, byUrl?.id ?? LIBRARY_PROVIDER.get(settings?.kind ?? id) ?? lib.findProvider({ providerId: id })?.id);
    }
    return this.providerIds.get(id);
  }
}

/** The pricing of a configuration: its `pricing` overrides, its providers' kinds, names and base URLs. */
export function pricingFor(cfg: { pricing: PriceTable; providers: Record<string, ProviderSettings> }): Pricing {
  return new Pricing(cfg.pricing, cfg.providers);
}

/**
 * Our Usage to the library's keys. Ours bills `input` at full price with cache reads and writes
 * apart; the library's `input_tokens` is the whole prompt (cache reads and writes included, as its
 * Anthropic extractor sums them) and it is that total which selects a price tier.
 */
function libraryUsage(u: Usage): Record<string, number> {
  const read = u.cachedInput ?? 0;
  const written = u.cacheWrite ?? 0;
  return {
    input_tokens: u.input + read + written,
    output_tokens: u.output,
    ...(read ? { cache_read_tokens: read } : {}),
    ...(written ? { cache_write_tokens: written } : {}),
  };
}

function overrideCost(p: Price, u: Usage): number {
  return (u.input * p.input + u.output * p.output + (u.cachedInput ?? 0) * (p.cachedInput ?? p.input) + (u.cacheWrite ?? 0) * (p.cacheWrite ?? p.input)) / 1e6;
}
