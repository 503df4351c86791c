// The `@anthropic-ai/sdk` Messages API as a ChatProvider: raw streamed events, tools, and prompt
// caching on the stable prefix (system prompt and tool definitions).

import { ANTHROPIC_IMAGE_TYPES, withImageNotes } from './tool-images';
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  TextBlockParam,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { ChatChunk, ChatProvider, ChatRequest, ProviderError, StopReason, ToolCall, Usage } from '../core/ports';
import { Attempt } from './attempt';
import { DEFAULT_TIMEOUT_MS, type ProviderConfig } from './config';
import {
  abortedError,
  badResponse,
  contextOverflow,
  httpError,
  mayBeOverflow,
  networkError,
  overflowError,
  parseArguments,
  QUOTA_TYPES,
  quotaError,
  refusalError,
  retryDelay,
  streamCutError,
  streamErrorFrame,
  timeoutError,
  type ErrorContext,
} from './errors';

const ANTHROPIC_URL = 'https://api.anthropic.com';
const CACHE = { type: 'ephemeral' } as const;

export function createAnthropicProvider(config: ProviderConfig): ChatProvider {
  return new AnthropicProvider(config);
}

class AnthropicProvider implements ChatProvider {
  readonly id: string;
  private readonly client: Anthropic;
  private readonly ctx: ErrorContext;
  private readonly timeoutMs: number;

  constructor(config: ProviderConfig) {
    this.id = config.id;
    this.ctx = config;
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.client = new Anthropic({
      apiKey: config.apiKey,
      // The SDK's path is `/v1/messages`: the base URL must not end in `/v1`.
      baseURL: (config.baseUrl ?? ANTHROPIC_URL).replace(/\/+$/, '').replace(/\/v1$/, ''),
      defaultHeaders: config.headers,
      maxRetries: 0,
      timeout: this.timeoutMs,
    });
  }

  async *chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
    const attempt = new Attempt(this.ctx, signal, this.timeoutMs);
    const turn = new Turn(this.ctx, request.model);
    let started = false;
    try {
      attempt.check(); // aborted before we began: no request at all
      const headers = request.trace ? { 'x-ensemble-trace': request.trace } : undefined;
      const stream = await attempt.race(this.client.messages.create(toAnthropicParams(request, this.id), { signal: attempt.signal, headers }));
      started = true;
      for await (const event of attempt.iterate(stream)) {
        for (const out of turn.accept(event)) {
          attempt.check();
          yield out;
        }
      }
      attempt.check(); // a raw stream ends silently when aborted
      for (const out of turn.finish(attempt.latencyMs)) {
        attempt.check();
        yield out;
      }
    } catch (e) {
      throw attempt.fail(e, (err) => toProviderError(this.ctx, this.timeoutMs, err, started, turn.usage), turn.usage);
    } finally {
      attempt.dispose();
    }
  }
}

export function toAnthropicParams(request: ChatRequest, providerId: string): MessageCreateParamsStreaming {
  const last = request.tools.length - 1;
  return {
    model: request.model,
    max_tokens: request.maxOutputTokens,
    stream: true,
    messages: toAnthropicMessages(request, providerId),
    // The system prompt and the tools are the stable prefix of every turn: cache up to their end.
    ...(request.system ? { system: [{ type: 'text' as const, text: request.system, cache_control: CACHE }] } : {}),
    ...(request.tools.length
      ? {
          tools: request.tools.map((t, i) => ({
            name: t.name,
            description: t.description,
            input_schema: t.parameters,
            ...(i === last ? { cache_control: CACHE } : {}),
          })),
        }
      : {}),
    // (The 2026-10-21 Messages API has no `temperature`; ChatRequest.temperature is not sent.)
  };
}

/**
 * An assistant turn this provider and model produced with thinking goes back as the very blocks it
 * sent (thinking + signature, redacted_thinking): the API requires them unchanged for tool use with
 * thinking. Any other assistant turn is rebuilt from its text and tool calls.
 */
export function toAnthropicMessages(request: ChatRequest, providerId: string): MessageParam[] {
  const out: MessageParam[] = [];
  let results: (ToolResultBlockParam | TextBlockParam)[] | undefined; // the user message that collects consecutive tool results
  for (const m of request.messages) {
    if (m.role === 'user' && results) {
      // A user's note after tool results joins their user turn, after them: tool_result blocks come
      // first in a user message, and there are no back-to-back user turns.
      results.push({ type: 'text', text: m.content });
      results = undefined;
      continue;
    }
    if (m.role === 'tool') {
      const shown = (m.images ?? []).filter((im) => ANTHROPIC_IMAGE_TYPES.includes(im.mimeType));
      const text = withImageNotes(
        m.content,
        m.images?.filter((im) => !shown.includes(im)),
        'Anthropic does not take this image type',
      );
      const content: ToolResultBlockParam['content'] = shown.length
        ? [
            { type: 'text', text },
            ...shown.map((im) => ({ type: 'image' as const, source: { type: 'base64' as const, media_type: im.mimeType as 'image/png', data: im.data } })),
          ]
        : text;
      const block: ToolResultBlockParam = { type: 'tool_result', tool_use_id: m.toolCallId, content, ...(m.isError ? { is_error: true } : {}) };
      if (results) results.push(block);
      else {
        results = [block];
        out.push({ role: 'user', content: results });
      }
      continue;
    }
    results = undefined;
    if (m.role === 'user') {
      out.push({ role: 'user', content: m.content });
      continue;
    }
    if (m.providerData?.provider === providerId && m.providerData.model === request.model) {
      out.push({ role: 'assistant', content: m.providerData.parts as ContentBlockParam[] });
      continue;
    }
    const blocks: ContentBlockParam[] = [];
    if (m.content) blocks.push({ type: 'text', text: m.content });
    for (const c of m.toolCalls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
    if (blocks.length) out.push({ role: 'assistant', content: blocks });
  }
  return out;
}

/** One content block as it streams in; kept whole so a thinking turn can go back verbatim. */
type Block =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; json: string; input?: Record<string, unknown> }
  | { type: 'other' };

/** Follows the event sequence message_start → content blocks → message_delta → message_stop. */
class Turn {
  usage: Usage | undefined;
  private stopReason: string | null = null;
  private refusalExplanation: string | null = null;
  private stopped = false;
  private readonly blocks = new Map<number, Block>();
  private readonly calls: ToolCall[] = [];

  constructor(
    private readonly ctx: ErrorContext,
    private readonly model: string,
  ) {}

  accept(event: RawMessageStreamEvent): ChatChunk[] {
    switch (event.type) {
      case 'message_start':
        this.mergeUsage(event.message.usage as unknown as RawUsage);
        return [];
      case 'content_block_start': {
        const b = event.content_block;
        if (b.type === 'tool_use') this.blocks.set(event.index, { type: 'tool_use', id: b.id, name: b.name, json: '' });
        else if (b.type === 'thinking') this.blocks.set(event.index, { type: 'thinking', thinking: b.thinking, signature: b.signature });
        else if (b.type === 'redacted_thinking') this.blocks.set(event.index, { type: 'redacted_thinking', data: b.data });
        else if (b.type === 'text') this.blocks.set(event.index, { type: 'text', text: b.text });
        else this.blocks.set(event.index, { type: 'other' });
        return b.type === 'text' && b.text ? [{ type: 'text', text: b.text }] : [];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        const block = this.blocks.get(event.index);
        if (delta.type === 'text_delta') {
          if (block?.type === 'text') block.text += delta.text;
          return delta.text ? [{ type: 'text', text: delta.text }] : [];
        }
        if (delta.type === 'input_json_delta' && block?.type === 'tool_use') block.json += delta.partial_json;
        else if (delta.type === 'thinking_delta' && block?.type === 'thinking') block.thinking += delta.thinking;
        else if (delta.type === 'signature_delta' && block?.type === 'thinking') block.signature = delta.signature;
        return [];
      }
      case 'content_block_stop': {
        const block = this.blocks.get(event.index);
        if (block?.type === 'tool_use' && !block.input) {
          block.input = parseArguments(this.ctx, block.name, block.json, this.usage);
          this.calls.push({ id: block.id, name: block.name, arguments: block.input });
        }
        return [];
      }
      case 'message_delta':
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
        this.refusalExplanation = event.delta.stop_details?.explanation ?? this.refusalExplanation;
        this.mergeUsage(event.usage as unknown as RawUsage);
        return [];
      case 'message_stop':
        this.stopped = true;
        return [];
      default:
        return [];
    }
  }

  finish(latencyMs: number): ChatChunk[] {
    if (!this.stopped) throw streamCutError(this.ctx, this.usage);
    const ordered = [...this.blocks.entries()].sort(([a], [b]) => a - b).map(([, b]) => b);
    if (this.stopReason === 'refusal') {
      const said = ordered.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
      throw refusalError(this.ctx, [said, this.refusalExplanation ?? ''].filter((x) => x.trim()).join(' — '), 'stop_reason refusal', this.usage);
    }
    const out: ChatChunk[] = this.calls.map((call) => ({ type: 'tool_call' as const, call }));
    if (this.usage) out.push({ type: 'usage', usage: this.usage });
    if (ordered.some((b) => b.type === 'thinking' || b.type === 'redacted_thinking')) {
      out.push({ type: 'provider_data', data: { provider: this.ctx.id, model: this.model, parts: ordered.flatMap(wireBlock) } });
    }
    out.push({ type: 'end', stopReason: this.calls.length ? 'tool_calls' : stopReason(this.stopReason), latencyMs });
    return out;
  }

  /** message_delta's counts are cumulative: overwrite what is present, keep the rest. */
  private mergeUsage(u: RawUsage | undefined): void {
    if (!u) return;
    const next: Usage = { ...(this.usage ?? { input: 0, output: 0 }) };
    if (typeof u.input_tokens === 'number') next.input = u.input_tokens;
    if (typeof u.output_tokens === 'number') next.output = u.output_tokens;
    if (typeof u.cache_read_input_tokens === 'number') next.cachedInput = u.cache_read_input_tokens;
    if (typeof u.cache_creation_input_tokens === 'number') next.cacheWrite = u.cache_creation_input_tokens;
    this.usage = next;
  }
}

/** A streamed block as the request wants it back (text, thinking and tool use unchanged). */
function wireBlock(b: Block): ContentBlockParam[] {
  switch (b.type) {
    case 'text':
      return b.text ? [{ type: 'text', text: b.text }] : [];
    case 'thinking':
      return [{ type: 'thinking', thinking: b.thinking, signature: b.signature }];
    case 'redacted_thinking':
      return [{ type: 'redacted_thinking', data: b.data }];
    case 'tool_use':
      return [{ type: 'tool_use', id: b.id, name: b.name, input: b.input ?? {} }];
    default:
      return [];
  }
}

interface RawUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

function stopReason(reason: string | null): StopReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'end';
  if (reason === 'max_tokens' || reason === 'model_context_window_exceeded') return 'max_tokens';
  if (reason === 'tool_use') return 'tool_calls';
  return 'other';
}

function toProviderError(ctx: ErrorContext, timeoutMs: number, e: unknown, started: boolean, usage: Usage | undefined): ProviderError {
  if (e instanceof APIUserAbortError) return abortedError(ctx, usage);
  if (e instanceof APIConnectionTimeoutError) return timeoutError(ctx, timeoutMs, usage, e);
  if (e instanceof APIConnectionError) return networkError(ctx, e);
  if (e instanceof APIError) {
    const detail = e.apiMessage ?? undefined;
    if (e.status === undefined) return streamErrorFrame(ctx, { type: e.type, message: detail }, usage);
    const quota = quotaReason(e.status, e.type, e.errorCode, detail);
    if (quota) return quotaError(ctx, quota, { status: e.status, detail, usage, cause: e });
    // 400 invalid_request_error "prompt is too long: N tokens > M maximum".
    const overflow = mayBeOverflow(e.status) ? contextOverflow(detail) : undefined;
    if (overflow) return overflowError(ctx, overflow, { status: e.status, detail, usage, cause: e });
    return httpError(ctx, e.status, { detail, retryAfterMs: retryDelay(e.headers, e.status), usage, cause: e });
  }
  if (e instanceof SyntaxError) return badResponse(ctx, `unparsable stream data (${e.message})`, e, usage);
  return started ? streamCutError(ctx, usage, e) : networkError(ctx, e);
}

/** `error.details.error_code`s that mean a spend cap is reached (the SDK's *SpendLimitReached errors): no retry helps. */
const SPEND_LIMITS = new Set([
  'enforced_spend_limit_reached',
  'contract_spend_limit_reached',
  'linked_organization_spend_limit_reached',
  'linked_organization_billing_unavailable',
]);

/**
 * Why an Anthropic error means "no money left", or undefined (a bare 402 is quota by its status). The docs: 402 `billing_error`; a monthly
 * tier cap is a 429 `rate_limit_error` with `details.error_code: enforced_spend_limit_reached` and no
 * retry-after; a spend limit the user set, or an empty credit balance, is a 400 `invalid_request_error`
 * told apart only by its message.
 */
function quotaReason(status: number, type: string | null, errorCode: string | null, detail: string | undefined): string | undefined {
  if (type && QUOTA_TYPES.has(type)) return type;
  if (errorCode && SPEND_LIMITS.has(errorCode)) return errorCode;
  if (status === 400 && detail && /credit balance is too low|reached your specified (workspace )?API usage limits/i.test(detail))
    return 'spend limit or credit balance';
  return undefined;
}
