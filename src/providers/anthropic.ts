// The `@anthropic-ai/sdk` Messages API as a ChatProvider: raw streamed events, tools, and prompt
// caching on the stable prefix (system prompt and tool definitions).

import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type { ChatChunk, ChatProvider, ChatRequest, ProviderError, StopReason, ToolCall, Usage } from '../core/ports';
import { Attempt } from './attempt';
import { DEFAULT_TIMEOUT_MS, type ProviderConfig } from './config';
import {
  abortedError, badResponse, httpError, networkError, parseArguments, parseRetryAfter,
  streamCutError, streamErrorFrame, timeoutError, type ErrorContext,
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
    const turn = new Turn(this.ctx);
    let started = false;
    try {
      attempt.check(); // aborted before we began: no request at all
      const headers = request.trace ? { 'x-ensemble-trace': request.trace } : undefined;
      const stream = await attempt.race(this.client.messages.create(toAnthropicParams(request), { signal: attempt.signal, headers }));
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

export function toAnthropicParams(request: ChatRequest): MessageCreateParamsStreaming {
  const last = request.tools.length - 1;
  return {
    model: request.model,
    max_tokens: request.maxOutputTokens,
    stream: true,
    messages: toAnthropicMessages(request),
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

export function toAnthropicMessages(request: ChatRequest): MessageParam[] {
  const out: MessageParam[] = [];
  let results: ToolResultBlockParam[] | undefined; // the user message that collects consecutive tool results
  for (const m of request.messages) {
    if (m.role === 'tool') {
      const block: ToolResultBlockParam = { type: 'tool_result', tool_use_id: m.toolCallId, content: m.content, ...(m.isError ? { is_error: true } : {}) };
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
    const blocks: ContentBlockParam[] = [];
    if (m.content) blocks.push({ type: 'text', text: m.content });
    for (const c of m.toolCalls ?? []) blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: c.arguments });
    if (blocks.length) out.push({ role: 'assistant', content: blocks });
  }
  return out;
}

interface PartialCall {
  id: string;
  name: string;
  json: string;
}

/** Follows the event sequence message_start → content blocks → message_delta → message_stop. */
class Turn {
  usage: Usage | undefined;
  private stopReason: string | null = null;
  private stopped = false;
  private readonly open = new Map<number, PartialCall>();
  private readonly calls: ToolCall[] = [];

  constructor(private readonly ctx: ErrorContext) {}

  accept(event: RawMessageStreamEvent): ChatChunk[] {
    switch (event.type) {
      case 'message_start':
        this.mergeUsage(event.message.usage as unknown as RawUsage);
        return [];
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'tool_use') this.open.set(event.index, { id: block.id, name: block.name, json: '' });
        return block.type === 'text' && block.text ? [{ type: 'text', text: block.text }] : [];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') return delta.text ? [{ type: 'text', text: delta.text }] : [];
        const call = this.open.get(event.index);
        if (delta.type === 'input_json_delta' && call) call.json += delta.partial_json;
        return [];
      }
      case 'content_block_stop': {
        const call = this.open.get(event.index);
        if (call) {
          this.open.delete(event.index);
          this.calls.push({ id: call.id, name: call.name, arguments: parseArguments(this.ctx, call.name, call.json, this.usage) });
        }
        return [];
      }
      case 'message_delta':
        this.stopReason = event.delta.stop_reason ?? this.stopReason;
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
    const out: ChatChunk[] = this.calls.map((call) => ({ type: 'tool_call' as const, call }));
    if (this.usage) out.push({ type: 'usage', usage: this.usage });
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
    if (e.status === undefined) return streamErrorFrame(ctx, e.type ?? undefined, detail, usage);
    return httpError(ctx, e.status, { detail, retryAfterMs: parseRetryAfter(e.headers), usage, cause: e });
  }
  if (e instanceof SyntaxError) return badResponse(ctx, `unparsable stream data (${e.message})`, e, usage);
  return started ? streamCutError(ctx, usage, e) : networkError(ctx, e);
}
