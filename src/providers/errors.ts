// Shared error helpers for the SDK adapters: HTTP status → ProviderError code, `retry-after` parsing,
// and messages that tell the user what to fix. No SDK is imported here.

import { ProviderError, type ContextOverflow, type ProviderErrorCode, type Usage } from '../core/ports';
import type { ProviderConfig } from './config';

/** What the helpers need to know about the provider that failed. */
export type ErrorContext = Pick<ProviderConfig, 'id' | 'kind' | 'keyHint'>;

/** Anything with a `get(name)`, e.g. fetch's `Headers`. */
export interface HeaderSource {
  get(name: string): string | null;
}

const VENDOR = { openai: 'OpenAI', anthropic: 'Anthropic', gemini: 'Gemini' } as const;
const KEY_VAR = { openai: 'OPENAI_API_KEY', anthropic: 'ANTHROPIC_API_KEY', gemini: 'GEMINI_API_KEY' } as const;
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  402: 'Payment Required',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  529: 'Overloaded',
};
const RETRYABLE = new Set<ProviderErrorCode>(['rate_limit', 'server', 'overloaded', 'timeout', 'network', 'stream_cut', 'bad_response']);
const SET_KEY_COMMAND = '"Ensemble: Set API Key"';

export function vendorName(ctx: ErrorContext): string {
  return ctx.kind === 'openai-compatible' ? `Provider "${ctx.id}"` : VENDOR[ctx.kind];
}

/** The setting the user must fix when the key is rejected. */
export function keySetting(ctx: ErrorContext): string {
  if (ctx.keyHint) return ctx.keyHint;
  return ctx.kind === 'openai-compatible' ? `the variable named by providers.${ctx.id}.apiKeyEnv` : KEY_VAR[ctx.kind];
}

/** Which code an HTTP status maps to, and whether trying again may help. */
export function classifyStatus(status: number): { code: ProviderErrorCode; retryable: boolean } {
  if (status === 429) return { code: 'rate_limit', retryable: true };
  // 402 Payment Required: Anthropic's billing_error, OpenRouter's "insufficient credits".
  if (status === 402) return { code: 'quota', retryable: false };
  if (status === 529) return { code: 'overloaded', retryable: true };
  if (status === 408) return { code: 'timeout', retryable: true };
  if (status === 409 || status >= 500) return { code: 'server', retryable: true };
  if (status === 401) return { code: 'auth', retryable: false };
  if (status === 403) return { code: 'permission', retryable: false };
  if (status === 404) return { code: 'not_found', retryable: false };
  return { code: 'bad_request', retryable: false };
}

/** `retry-after-ms` wins, then `retry-after` (seconds or an HTTP date). Undefined when absent or unusable. */
export function parseRetryAfter(headers: HeaderSource | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number.parseFloat(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * When a 429 carries no retry-after: the rate-limit reset headers. OpenAI sends durations
 * (`x-ratelimit-reset-requests: 6m0s`), Anthropic RFC 3339 times (`anthropic-ratelimit-tokens-reset`).
 * The window that is used up (`remaining: 0`) decides; when none says so, the longest wait.
 */
const RESET_HEADERS = [
  'x-ratelimit-%-requests',
  'x-ratelimit-%-tokens',
  'anthropic-ratelimit-requests-%',
  'anthropic-ratelimit-tokens-%',
  'anthropic-ratelimit-input-tokens-%',
  'anthropic-ratelimit-output-tokens-%',
];

export function parseRateLimitReset(headers: HeaderSource | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const all: { ms: number; exhausted: boolean }[] = [];
  for (const pattern of RESET_HEADERS) {
    const raw = headers.get(pattern.replace('%', 'reset'))?.trim();
    if (!raw) continue;
    const ms = parseGoDuration(raw) ?? (Number.isNaN(Date.parse(raw)) ? undefined : Math.max(0, Date.parse(raw) - now));
    if (ms !== undefined) all.push({ ms, exhausted: headers.get(pattern.replace('%', 'remaining'))?.trim() === '0' });
  }
  const decisive = all.some((r) => r.exhausted) ? all.filter((r) => r.exhausted) : all;
  return decisive.length ? Math.max(...decisive.map((r) => r.ms)) : undefined;
}

/** The wait a failed answer asks for: retry-after first, then (on a 429) the rate-limit reset headers. */
export function retryDelay(headers: HeaderSource | undefined, status: number | undefined, now = Date.now()): number | undefined {
  return parseRetryAfter(headers, now) ?? (status === 429 ? parseRateLimitReset(headers, now) : undefined);
}

/** A Go-style duration as OpenAI sends it (`20ms`, `1s`, `6m0s`, `1h2m3.5s`) in ms. */
export function parseGoDuration(value: string): number | undefined {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number.parseFloat(m[1]!) * unit[m[2]!]!;
    end = re.lastIndex;
  }
  return end > 0 && end === value.length ? Math.round(total) : undefined;
}

/** A protobuf duration such as `"1.5s"` (Gemini's RetryInfo) in ms. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return m?.[1] === undefined ? undefined : Math.round(Number.parseFloat(m[1]) * 1000);
}

export function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error && e.cause.message !== e.message ? ` (${e.cause.message})` : '';
    return e.message + cause;
  }
  return String(e);
}

export interface HttpErrorOptions {
  detail?: string;
  retryAfterMs?: number;
  usage?: Usage;
  cause?: unknown;
  /** Overrides the code derived from the status (e.g. Gemini's 400 API_KEY_INVALID → 'auth'). */
  code?: ProviderErrorCode;
}

/** An HTTP error answer as a ProviderError with a message that says what to do. */
export function httpError(ctx: ErrorContext, status: number, opts: HttpErrorOptions = {}): ProviderError {
  const cls = classifyStatus(status);
  const code = opts.code ?? cls.code;
  const retryable = opts.code ? RETRYABLE.has(opts.code) : cls.retryable;
  const vendor = vendorName(ctx);
  const statusText = `${status}${STATUS_TEXT[status] ? ` ${STATUS_TEXT[status]}` : ''}`;
  const detail = opts.detail?.trim() ? `: ${opts.detail.trim()}` : '';
  if (code === 'quota') return quotaError(ctx, statusText, { status, detail: opts.detail, usage: opts.usage, cause: opts.cause });
  const key = keySetting(ctx);
  let message: string;
  if (code === 'auth') {
    message = `${vendor} rejected the API key (${statusText}). Set ${key} or run ${SET_KEY_COMMAND}.`;
  } else if (code === 'permission') {
    message = `${vendor} denied access (${statusText})${detail}. Check that the key in ${key} may use this model, or run ${SET_KEY_COMMAND}.`;
  } else {
    const wait = opts.retryAfterMs === undefined ? '' : ` (retry after ${opts.retryAfterMs} ms)`;
    message = `${vendor} answered ${statusText}${detail}${wait}`;
  }
  return new ProviderError({
    provider: ctx.id,
    code,
    message,
    status,
    retryable,
    retryAfterMs: opts.retryAfterMs,
    usage: opts.usage,
    cause: opts.cause,
  });
}

function simple(ctx: ErrorContext, code: ProviderErrorCode, retryable: boolean, message: string, cause?: unknown, usage?: Usage): ProviderError {
  return new ProviderError({ provider: ctx.id, code, retryable, message, cause, usage });
}

export function networkError(ctx: ErrorContext, cause: unknown): ProviderError {
  return simple(ctx, 'network', true, `Could not reach ${vendorName(ctx)}: ${describe(cause)}`, cause);
}

export function timeoutError(ctx: ErrorContext, timeoutMs: number, usage?: Usage, cause?: unknown): ProviderError {
  return simple(ctx, 'timeout', true, `${vendorName(ctx)} did not answer within ${timeoutMs} ms`, cause, usage);
}

export function abortedError(ctx: ErrorContext, usage?: Usage): ProviderError {
  return simple(ctx, 'aborted', false, `The request to ${vendorName(ctx)} was cancelled`, undefined, usage);
}

export function streamCutError(ctx: ErrorContext, usage: Usage | undefined, cause?: unknown): ProviderError {
  const why = cause === undefined ? 'before the turn was complete' : `mid-way: ${describe(cause)}`;
  return simple(ctx, 'stream_cut', true, `${vendorName(ctx)} ended the stream ${why}`, cause, usage);
}

export function badResponse(ctx: ErrorContext, detail: string, cause?: unknown, usage?: Usage): ProviderError {
  return simple(ctx, 'bad_response', true, `${vendorName(ctx)} sent a malformed response: ${detail}`, cause, usage);
}

/** The words of a refusal, shortened for a log line and a panel. */
const MAX_WORDS = 600;

/** The model declined: its words (or the provider's reason) become the message; the route has failed. */
export function refusalError(ctx: ErrorContext, words: string, reason: string, usage?: Usage): ProviderError {
  const said = words.trim().replace(/\s+/g, ' ');
  const quoted = said.length > MAX_WORDS ? `${said.slice(0, MAX_WORDS)}…` : said;
  const message = quoted ? `${vendorName(ctx)} refused the request (${reason}): "${quoted}"` : `${vendorName(ctx)} refused the request (${reason})`;
  return new ProviderError({ provider: ctx.id, code: 'refusal', retryable: false, message, usage });
}

/** No quota, credit or spend allowance left: only the user can fix it, so it is never retried. */
export function quotaError(ctx: ErrorContext, reason: string, opts: { status?: number; detail?: string; usage?: Usage; cause?: unknown } = {}): ProviderError {
  const detail = opts.detail?.trim() ? `: ${opts.detail.trim()}` : '';
  return new ProviderError({
    provider: ctx.id,
    code: 'quota',
    retryable: false,
    status: opts.status,
    usage: opts.usage,
    cause: opts.cause,
    message: `${vendorName(ctx)}: the account has no quota left (${reason}${detail}). Check billing and the plan of the key in ${keySetting(ctx)}; Ensemble does not retry it until you do.`,
  });
}

/** The fields of an error frame inside a 200 stream (OpenAI `data: {"error":…}`, Anthropic `event: error`, Gemini `data: {"error":…}`). */
export interface ErrorFrame {
  /** OpenAI-compatible servers (vLLM, OpenRouter) and Gemini send the HTTP status as a number. */
  code?: unknown;
  type?: unknown;
  message?: unknown;
}

/** An error frame inside a 200 stream: classified by its numeric code when it has one, else by its type text. */
export function streamErrorFrame(ctx: ErrorContext, frame: ErrorFrame, usage?: Usage): ProviderError {
  const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v : undefined);
  const type = text(frame.type) ?? text(frame.code);
  const detail = text(frame.message) ?? type;
  const raw = typeof frame.code === 'number' ? frame.code : Number.parseInt(text(frame.code) ?? '', 10);
  const numeric = raw >= 400 && raw <= 599 ? raw : undefined;
  const t = (type ?? '').toLowerCase();
  if (QUOTA_TYPES.has(t)) return quotaError(ctx, t, { detail: text(frame.message), usage });
  const overflow = contextOverflow(text(frame.message), frame.code);
  if (overflow) return overflowError(ctx, overflow, { detail: text(frame.message), usage });
  const status =
    numeric ?? (t.includes('overload') ? 529 : t.includes('rate_limit') ? 429 : t.includes('auth') ? 401 : t.includes('invalid_request') ? 400 : 500);
  const cls = classifyStatus(status);
  if (cls.code === 'quota') return quotaError(ctx, `${status}`, { status, detail, usage });
  return new ProviderError({
    provider: ctx.id,
    code: cls.code,
    retryable: cls.retryable,
    status: numeric,
    usage,
    message: `${vendorName(ctx)} reported an error mid-stream${detail ? `: ${detail}` : ''}${numeric ? ` (${numeric})` : ''}`,
  });
}

/**
 * The providers' words for a prompt over the model's context window, with the numbers they carry:
 * OpenAI (and vLLM) "maximum context length is M tokens. However, your messages resulted in N tokens"
 * (or "you requested N tokens"), Anthropic "prompt is too long: N tokens > M maximum", Gemini "The input
 * token count (N) exceeds the maximum number of tokens allowed (M)".
 */
const OVERFLOW_WORDS: { re: RegExp; prompt: number; window: number }[] = [
  { re: /maximum context length is (\d+) tokens\b[\s\S]*?(?:resulted in|requested) (\d+) tokens/i, window: 1, prompt: 2 },
  { re: /prompt is too long: (\d+) tokens > (\d+) maximum/i, prompt: 1, window: 2 },
  { re: /input token count \((\d+)\) exceeds the maximum number of tokens allowed \((\d+)\)/i, prompt: 1, window: 2 },
];
/** The same answers without numbers (a proxy that rewords them, an OpenAI-compatible server's own words). */
const OVERFLOW_HINTS =
  /maximum context length|context[ _]length[ _]exceeded|prompt is too long|input token count[^.]*exceeds the maximum|exceeds the (model's )?context window/i;

/**
 * Whether an error answer says the prompt is over the model's context window (OpenAI's `code`
 * `context_length_exceeded`, or the words of any of the three providers); the numbers it gives.
 */
export function contextOverflow(detail: string | undefined, code?: unknown): ContextOverflow | undefined {
  const text = detail ?? '';
  for (const w of OVERFLOW_WORDS) {
    const m = w.re.exec(text);
    // "you requested N tokens (A in the messages, B in the completion)": the prompt is A.
    const messages = /\((\d+) in the messages/i.exec(text);
    if (m) return { promptTokens: Number(messages?.[1] ?? m[w.prompt]), window: Number(m[w.window]) };
  }
  return code === 'context_length_exceeded' || OVERFLOW_HINTS.test(text) ? {} : undefined;
}

/** The statuses a provider answers an over-long prompt with (400; a proxy's 413 or 422): never a key, quota or rate-limit answer. */
export function mayBeOverflow(status: number | undefined): boolean {
  return status === 400 || status === 413 || status === 422;
}

/** A prompt the provider refused as larger than the model's context window: never retried as it is (the engine compacts the conversation). */
export function overflowError(
  ctx: ErrorContext,
  overflow: ContextOverflow,
  opts: { status?: number; detail?: string; usage?: Usage; cause?: unknown } = {},
): ProviderError {
  const statusText = opts.status === undefined ? '' : `${opts.status}${STATUS_TEXT[opts.status] ? ` ${STATUS_TEXT[opts.status]}` : ''}`;
  const detail = opts.detail?.trim() ? `${statusText ? ': ' : ''}${opts.detail.trim()}` : '';
  return new ProviderError({
    provider: ctx.id,
    code: 'context_overflow',
    retryable: false,
    status: opts.status,
    usage: opts.usage,
    cause: opts.cause,
    overflow,
    message: `${vendorName(ctx)} refused the prompt as larger than the model's context window (${statusText}${detail})`,
  });
}

/** Error types and codes that mean the account is out of money, whatever the HTTP status. */
export const QUOTA_TYPES: ReadonlySet<string> = new Set(['insufficient_quota', 'billing_error', 'billing_hard_limit_reached', 'billing_not_active']);

/** Parses a tool call's argument JSON; anything but a JSON object is a 'bad_response'. */
export function parseArguments(ctx: ErrorContext, name: string, json: string, usage?: Usage): Record<string, unknown> {
  if (json.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw badResponse(ctx, `the arguments of tool call "${name}" are not valid JSON (${json.slice(0, 80)})`, e, usage);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badResponse(ctx, `the arguments of tool call "${name}" are not a JSON object`, undefined, usage);
  }
  return value as Record<string, unknown>;
}
