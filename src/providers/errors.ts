// Shared error helpers for the SDK adapters: HTTP status → ProviderError code, `retry-after` parsing,
// and messages that tell the user what to fix. No SDK is imported here.

import { ProviderError, type ProviderErrorCode, type Usage } from '../core/ports';
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
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout',
  409: 'Conflict', 413: 'Payload Too Large', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 529: 'Overloaded',
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
    provider: ctx.id, code, message, status, retryable,
    retryAfterMs: opts.retryAfterMs, usage: opts.usage, cause: opts.cause,
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

/** An error frame inside a 200 stream (OpenAI `data: {"error":…}`, Anthropic `event: error`), classified by its type. */
export function streamErrorFrame(ctx: ErrorContext, type: string | undefined, detail: string | undefined, usage?: Usage): ProviderError {
  const t = (type ?? '').toLowerCase();
  const status = t.includes('overload') ? 529 : t.includes('rate_limit') ? 429 : t.includes('auth') ? 401 : t.includes('invalid_request') ? 400 : 500;
  const err = httpError(ctx, status, { detail: detail ?? type, usage });
  return new ProviderError({
    provider: ctx.id, code: err.code, retryable: err.retryable, usage,
    message: `${vendorName(ctx)} reported an error mid-stream${detail || type ? `: ${detail ?? type}` : ''}`,
  });
}

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
