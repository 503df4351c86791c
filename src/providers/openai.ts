// The `openai` SDK as a ChatProvider: streamed chat completions with tools. Also serves the
// OpenAI-compatible kind (Ollama, LM Studio, vLLM, OpenRouter, Azure OpenAI deployments).

import { withImageNotes } from './tool-images';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { ChatChunk, ChatProvider, ChatRequest, ProviderError, StopReason, Usage } from '../core/ports';
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

const OPENAI_URL = 'https://api.openai.com/v1';
type Stream = AsyncIterable<ChatCompletionChunk>;

export function createOpenAIProvider(config: ProviderConfig): ChatProvider {
  return new OpenAIProvider(config);
}

class OpenAIProvider implements ChatProvider {
  readonly id: string;
  private readonly client: OpenAI;
  private readonly ctx: ErrorContext;
  private readonly timeoutMs: number;
  private readonly compatible: boolean;
  /** Cleared for a compatible server that rejected `stream_options` once. */
  private streamOptions = true;

  constructor(config: ProviderConfig) {
    this.id = config.id;
    this.ctx = config;
    this.compatible = config.kind === 'openai-compatible';
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const url = new URL(config.baseUrl ?? OPENAI_URL);
    const defaultQuery = Object.fromEntries(url.searchParams);
    url.search = '';
    this.client = new OpenAI({
      apiKey: config.apiKey || 'unused', // local servers (Ollama, LM Studio) need no key, the SDK insists on one
      baseURL: url.toString().replace(/\/$/, ''),
      defaultQuery: Object.keys(defaultQuery).length ? defaultQuery : undefined,
      defaultHeaders: clientHeaders(config),
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
      const stream = await attempt.race(this.open(request, attempt.signal));
      started = true;
      for await (const chunk of attempt.iterate(stream)) {
        for (const out of turn.accept(chunk)) {
          attempt.check();
          yield out;
        }
      }
      attempt.check(); // the SDK ends a stream silently when aborted
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

  private async open(request: ChatRequest, signal: AbortSignal): Promise<Stream> {
    const options = { signal, headers: request.trace ? { 'x-ensemble-trace': request.trace } : undefined };
    try {
      return await this.client.chat.completions.create(this.body(request), options);
    } catch (e) {
      // Some compatible servers (older Azure api-versions, some proxies) reject `stream_options`: drop it for good.
      if (!(this.compatible && this.streamOptions && e instanceof APIError && e.status === 400 && /stream_options/i.test(e.message))) throw e;
      this.streamOptions = false;
      return await this.client.chat.completions.create(this.body(request), options);
    }
  }

  private body(request: ChatRequest): ChatCompletionCreateParamsStreaming {
    return {
      model: request.model,
      messages: toOpenAIMessages(request),
      stream: true,
      ...(this.streamOptions ? { stream_options: { include_usage: true } } : {}),
      ...(request.tools.length
        ? { tools: request.tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.parameters } })) }
        : {}),
      // OpenAI's newer models refuse `max_tokens`; most compatible servers only know `max_tokens`.
      ...(this.compatible ? { max_tokens: request.maxOutputTokens } : { max_completion_tokens: request.maxOutputTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    };
  }
}

/** Config headers; an `api-key` header (Azure) left empty is filled with the key and replaces `Authorization`. */
function clientHeaders(config: ProviderConfig): Record<string, string | null> | undefined {
  if (!config.headers) return undefined;
  const out: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(config.headers)) {
    if (name.toLowerCase() === 'api-key') {
      out[name] = value || config.apiKey;
      out['Authorization'] = null;
    } else out[name] = value;
  }
  return out;
}

export function toOpenAIMessages(request: ChatRequest): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  if (request.system) out.push({ role: 'system', content: request.system });
  for (const m of request.messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'tool') {
      const content = withImageNotes(m.content, m.images, 'chat completions take only text in a tool result');
      out.push({ role: 'tool', tool_call_id: m.toolCallId, content: m.isError ? `Error: ${content}` : content });
    } else {
      const calls = m.toolCalls ?? [];
      out.push({
        role: 'assistant',
        content: m.content || (calls.length ? null : ''),
        ...(calls.length
          ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.arguments) } })) }
          : {}),
      });
    }
  }
  return out;
}

interface PartialCall {
  id: string;
  name: string;
  args: string;
}

/** Assembles one streamed turn: text as it comes, tool-call fragments by `index`, usage, finish reason. */
class Turn {
  usage: Usage | undefined;
  private finishReason: string | undefined;
  /** The model's refusal, streamed in `delta.refusal` instead of `delta.content`. */
  private refusal = '';
  private readonly calls = new Map<number, PartialCall>();

  constructor(private readonly ctx: ErrorContext) {}

  accept(chunk: ChatCompletionChunk): ChatChunk[] {
    if (chunk.usage) this.usage = toUsage(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) return [];
    const out: ChatChunk[] = [];
    const delta = choice.delta ?? {};
    if (delta.content) out.push({ type: 'text', text: delta.content });
    if (delta.refusal) this.refusal += delta.refusal;
    (delta.tool_calls ?? []).forEach((tc, i) => {
      const index = tc.index ?? i;
      const call = this.calls.get(index) ?? { id: '', name: '', args: '' };
      if (tc.id) call.id = tc.id;
      if (tc.function?.name && !call.name) call.name = tc.function.name;
      if (tc.function?.arguments) call.args += tc.function.arguments;
      this.calls.set(index, call);
    });
    if (choice.finish_reason) this.finishReason = choice.finish_reason;
    return out;
  }

  finish(latencyMs: number): ChatChunk[] {
    if (!this.finishReason) throw streamCutError(this.ctx, this.usage);
    if (this.refusal || this.finishReason === 'content_filter') {
      throw refusalError(this.ctx, this.refusal, this.refusal ? 'refusal' : 'content_filter', this.usage);
    }
    const out: ChatChunk[] = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({
        type: 'tool_call' as const,
        call: { id: c.id || `call_${index}`, name: c.name, arguments: parseArguments(this.ctx, c.name, c.args, this.usage) },
      }));
    if (this.usage) out.push({ type: 'usage', usage: this.usage });
    out.push({ type: 'end', stopReason: this.calls.size ? 'tool_calls' : stopReason(this.finishReason), latencyMs });
    return out;
  }
}

function stopReason(finish: string): StopReason {
  if (finish === 'stop') return 'end';
  if (finish === 'length') return 'max_tokens';
  if (finish === 'tool_calls' || finish === 'function_call') return 'tool_calls';
  return 'other';
}

/**
 * OpenAI's `prompt_tokens` includes the cached tokens: bill them apart. OpenAI counts reasoning tokens
 * inside `completion_tokens` (total = prompt + completion); some compatible servers leave them out and
 * bill them on top (total = prompt + completion + reasoning). The total tells which: count what is billed.
 */
export function toUsage(u: CompletionUsage): Usage {
  const cached = u.prompt_tokens_details?.cached_tokens;
  const reasoning = u.completion_tokens_details?.reasoning_tokens ?? 0;
  const prompt = u.prompt_tokens ?? 0;
  const completion = u.completion_tokens ?? 0;
  const separate = reasoning > 0 && u.total_tokens === prompt + completion + reasoning;
  const usage: Usage = { input: prompt - (cached ?? 0), output: completion + (separate ? reasoning : 0) };
  if (typeof cached === 'number') usage.cachedInput = cached;
  return usage;
}

function toProviderError(ctx: ErrorContext, timeoutMs: number, e: unknown, started: boolean, usage: Usage | undefined): ProviderError {
  if (e instanceof APIUserAbortError) return abortedError(ctx, usage);
  if (e instanceof APIConnectionTimeoutError) return timeoutError(ctx, timeoutMs, usage, e);
  if (e instanceof APIConnectionError) return networkError(ctx, e);
  if (e instanceof APIError) {
    const body = (e.error ?? {}) as { message?: unknown; type?: unknown; code?: unknown };
    const detail = typeof body.message === 'string' ? body.message : undefined;
    if (e.status === undefined) return streamErrorFrame(ctx, body, usage);
    // A 429 `insufficient_quota` is no rate limit: the account is out of credit until someone pays.
    const quota = [body.code, body.type].find((v): v is string => typeof v === 'string' && QUOTA_TYPES.has(v));
    if (quota) return quotaError(ctx, quota, { status: e.status, usage, cause: e });
    // 400 `context_length_exceeded` ("This model's maximum context length is M tokens. However, your messages resulted in N tokens.").
    const overflow = mayBeOverflow(e.status) ? contextOverflow(detail, body.code) : undefined;
    if (overflow) return overflowError(ctx, overflow, { status: e.status, detail, usage, cause: e });
    return httpError(ctx, e.status, { detail, retryAfterMs: retryDelay(e.headers, e.status), usage, cause: e });
  }
  if (e instanceof SyntaxError) return badResponse(ctx, `unparsable stream data (${e.message})`, e, usage);
  return started ? streamCutError(ctx, usage, e) : networkError(ctx, e);
}
