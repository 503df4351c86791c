// `@google/generative-ai` as a ChatProvider. EVERY detail of that (deprecated) SDK lives in this file,
// so a swap to `@google/genai` touches nothing else. Its gotchas (shared/reference/provider-wire.md):
// `result.response` must always be caught, its `timeout` option leaks a timer (we time out ourselves),
// and its aggregated response garbles several function calls (we read the per-chunk stream).

import { withImageNotes } from './tool-images';
import {
  GoogleGenerativeAI,
  GoogleGenerativeAIAbortError,
  GoogleGenerativeAIError,
  GoogleGenerativeAIFetchError,
  GoogleGenerativeAIRequestInputError,
  type Content,
  type ErrorDetails,
  type FunctionDeclaration,
  type FunctionDeclarationSchema,
  type GenerateContentRequest,
  type GenerateContentResponse,
  type Part,
} from '@google/generative-ai';
import { randomUUID } from 'node:crypto';
import { ProviderError, type ChatChunk, type ChatProvider, type ChatRequest, type StopReason, type ToolCall, type Usage } from '../core/ports';
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
  parseDuration,
  quotaError,
  refusalError,
  streamCutError,
  streamErrorFrame,
  type ErrorContext,
} from './errors';
import { hasNoArguments, toGeminiSchema } from './gemini-schema';

const GEMINI_URL = 'https://generativelanguage.googleapis.com';
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';
const QUOTA_FAILURE = 'type.googleapis.com/google.rpc.QuotaFailure';
/** Finish reasons by which Gemini declines to answer (a safety or policy block), rather than ends. */
const REFUSALS = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'LANGUAGE']);

export function createGeminiProvider(config: ProviderConfig): ChatProvider {
  return new GeminiProvider(config);
}

class GeminiProvider implements ChatProvider {
  readonly id: string;
  private readonly sdk: GoogleGenerativeAI;
  private readonly ctx: ErrorContext;
  private readonly timeoutMs: number;

  constructor(private readonly config: ProviderConfig) {
    this.id = config.id;
    this.ctx = config;
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.sdk = new GoogleGenerativeAI(config.apiKey);
  }

  async *chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
    const attempt = new Attempt(this.ctx, signal, this.timeoutMs);
    const turn = new Turn(this.ctx, request.model);
    let started = false;
    try {
      attempt.check(); // aborted before we began: no request at all
      const model = this.sdk.getGenerativeModel(
        {
          model: request.model,
          ...(request.system ? { systemInstruction: request.system } : {}),
          ...(request.tools.length ? { tools: [{ functionDeclarations: request.tools.map(toDeclaration) }] } : {}),
        },
        {
          baseUrl: (this.config.baseUrl ?? GEMINI_URL).replace(/\/+$/, ''),
          apiVersion: 'v1beta',
          customHeaders: { ...this.config.headers, ...(request.trace ? { 'x-ensemble-trace': request.trace } : {}) },
        },
      );
      // No `timeout` option (gotcha 2): the Attempt's signal carries our own, cleared, timeout.
      const pending = model.generateContentStream(this.toRequest(request), { signal: attempt.signal }).then((r) => {
        r.response.catch(() => {}); // gotcha 1: an unobserved rejection here would crash Node
        return r;
      });
      const result = await attempt.race(pending);
      started = true;
      for await (const chunk of attempt.iterate(result.stream)) {
        for (const out of turn.accept(chunk)) {
          attempt.check();
          yield out;
        }
      }
      attempt.check();
      for (const out of turn.finish(attempt.latencyMs)) {
        attempt.check();
        yield out;
      }
    } catch (e) {
      throw attempt.fail(e, (err) => toProviderError(this.ctx, err, started, turn.usage), turn.usage);
    } finally {
      attempt.dispose();
    }
  }

  private toRequest(request: ChatRequest): GenerateContentRequest {
    return {
      contents: toGeminiContents(request, this.id),
      generationConfig: {
        maxOutputTokens: request.maxOutputTokens,
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      },
    };
  }
}

function toDeclaration(tool: ChatRequest['tools'][number]): FunctionDeclaration {
  const parameters = toGeminiSchema(tool.parameters);
  return {
    name: tool.name,
    description: tool.description,
    ...(hasNoArguments(parameters) ? {} : { parameters: parameters as unknown as FunctionDeclarationSchema }),
  };
}

/**
 * Assistant turns → role 'model'; tool results → `functionResponse` parts with role 'user'. The current
 * API reference (ai.google.dev `Content`, and Vertex AI's `Content`) says a role "must be either 'user'
 * or 'model'", and the function-calling and thought-signatures guides send function responses back as
 * `role: "user"`; the legacy 'function' role is no longer documented, so we do not send it.
 * An assistant turn this provider and model produced with thought signatures goes back as the very parts
 * it sent: "pass it back exactly as received" (ai.google.dev/gemini-api/docs/thought-signatures), on
 * text parts as on function calls. Any other assistant turn is rebuilt from its text and tool calls.
 */
export function toGeminiContents(request: ChatRequest, providerId: string): Content[] {
  const out: Content[] = [];
  const add = (role: 'user' | 'model', parts: Part[]) => {
    const last = out.at(-1);
    // Consecutive user contents (tool results, then a nudge) go together as one turn.
    if (last?.role === role && role === 'user') last.parts.push(...parts);
    else out.push({ role, parts });
  };
  for (const m of request.messages) {
    if (m.role === 'tool') {
      const content = withImageNotes(m.content, m.images, 'function responses carry only JSON here');
      add('user', [{ functionResponse: { name: m.name, response: m.isError ? { error: content } : { content } } }]);
    } else if (m.role === 'user') {
      add('user', [{ text: m.content }]);
    } else if (m.providerData?.provider === providerId && m.providerData.model === request.model) {
      add('model', m.providerData.parts as Part[]);
    } else {
      const parts: Part[] = m.content ? [{ text: m.content }] : [];
      for (const c of m.toolCalls ?? []) parts.push({ functionCall: { name: c.name, args: c.arguments } });
      if (parts.length) add('model', parts);
    }
  }
  return out;
}

interface WirePart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
}
interface WireChunk {
  error?: { code?: unknown; status?: unknown; message?: unknown };
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
}
interface WireUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
}

/** Reads each streamed chunk on its own (never the aggregated response, gotcha 3). */
class Turn {
  usage: Usage | undefined;
  private finishReason: string | undefined;
  private finishMessage = '';
  private text = '';
  private readonly calls: ToolCall[] = [];
  /** Every part as received (plain text pieces joined), to send back when a signature came with them. */
  private readonly parts: WirePart[] = [];

  constructor(
    private readonly ctx: ErrorContext,
    private readonly model: string,
  ) {}

  accept(chunk: GenerateContentResponse): ChatChunk[] {
    const wire = chunk as GenerateContentResponse & WireChunk;
    // An error frame mid-stream: the SDK yields it as a chunk; its `code` is the HTTP status.
    if (wire.error) throw streamErrorFrame(this.ctx, { code: wire.error.code, type: wire.error.status, message: wire.error.message }, this.usage);
    if (chunk.usageMetadata) this.usage = toUsage(chunk.usageMetadata as WireUsage);
    if (wire.promptFeedback?.blockReason) {
      throw refusalError(this.ctx, wire.promptFeedback.blockReasonMessage ?? '', `prompt blocked: ${wire.promptFeedback.blockReason}`, this.usage);
    }
    const candidate = chunk.candidates?.[0];
    if (!candidate) return [];
    const out: ChatChunk[] = [];
    for (const part of (candidate.content?.parts ?? []) as WirePart[]) {
      this.keep(part);
      if (part.functionCall) {
        const id = part.functionCall.id ?? `call_${randomUUID().slice(0, 8)}`;
        const args = part.functionCall.args ?? {};
        if (typeof args !== 'object' || args === null || Array.isArray(args)) {
          throw badResponse(this.ctx, `the arguments of tool call "${part.functionCall.name}" are not an object`, undefined, this.usage);
        }
        this.calls.push({ id, name: part.functionCall.name, arguments: args });
      } else if (part.text && !part.thought) {
        this.text += part.text;
        out.push({ type: 'text', text: part.text });
      }
    }
    if (candidate.finishReason) this.finishReason = candidate.finishReason;
    if (candidate.finishMessage) this.finishMessage = candidate.finishMessage;
    return out;
  }

  finish(latencyMs: number): ChatChunk[] {
    // A cut at an event boundary ends the SDK's stream as if all went well.
    if (!this.finishReason) throw streamCutError(this.ctx, this.usage);
    if (REFUSALS.has(this.finishReason)) {
      throw refusalError(this.ctx, [this.text, this.finishMessage].filter((x) => x.trim()).join(' — '), `finishReason ${this.finishReason}`, this.usage);
    }
    const out: ChatChunk[] = this.calls.map((call) => ({ type: 'tool_call' as const, call }));
    if (this.usage) out.push({ type: 'usage', usage: this.usage });
    if (this.parts.some((p) => p.thoughtSignature)) out.push({ type: 'provider_data', data: { provider: this.ctx.id, model: this.model, parts: this.parts } });
    out.push({ type: 'end', stopReason: this.calls.length ? 'tool_calls' : stopReason(this.finishReason), latencyMs });
    return out;
  }

  /** Keeps a part unchanged; a plain text piece (no signature, no thought) joins the plain piece before it. */
  private keep(part: WirePart): void {
    const last = this.parts.at(-1);
    if (isPlainText(part) && last && isPlainText(last)) last.text = (last.text ?? '') + (part.text ?? '');
    else this.parts.push(isPlainText(part) ? { text: part.text } : structuredClone(part));
  }
}

function isPlainText(p: WirePart): boolean {
  return Object.keys(p).every((k) => k === 'text') && typeof p.text === 'string';
}

function stopReason(reason: string): StopReason {
  if (reason === 'STOP') return 'end';
  if (reason === 'MAX_TOKENS') return 'max_tokens';
  return 'other';
}

/** `promptTokenCount` includes the cached tokens; thinking tokens are billed as output. */
function toUsage(u: WireUsage): Usage {
  const cached = u.cachedContentTokenCount;
  const usage: Usage = {
    input: (u.promptTokenCount ?? 0) - (cached ?? 0),
    output: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
  };
  if (typeof cached === 'number') usage.cachedInput = cached;
  return usage;
}

function toProviderError(ctx: ErrorContext, e: unknown, started: boolean, usage: Usage | undefined): ProviderError {
  if (e instanceof GoogleGenerativeAIFetchError && typeof e.status === 'number') {
    const details: ErrorDetails[] = e.errorDetails ?? [];
    const retry = details.find((d) => d['@type'] === RETRY_INFO);
    const keyInvalid = details.some((d) => d.reason === 'API_KEY_INVALID');
    // The SDK's message is "Error fetching from <url>: [429 Too Many Requests] <message> <details JSON>".
    let detail = /\] (.*)$/s.exec(e.message)?.[1] ?? '';
    if (e.errorDetails) detail = detail.replace(` ${JSON.stringify(e.errorDetails)}`, '');
    const quota = e.status === 429 ? exhaustedQuota(details) : undefined;
    if (quota) return quotaError(ctx, quota, { status: e.status, usage, cause: e });
    // 400 INVALID_ARGUMENT "The input token count (N) exceeds the maximum number of tokens allowed (M)."
    const overflow = mayBeOverflow(e.status) ? contextOverflow(detail) : undefined;
    if (overflow) return overflowError(ctx, overflow, { status: e.status, detail, usage, cause: e });
    return httpError(ctx, e.status, {
      detail,
      usage,
      cause: e,
      retryAfterMs: parseDuration(retry?.retryDelay),
      ...(keyInvalid ? { code: 'auth' as const } : {}),
    });
  }
  if (e instanceof GoogleGenerativeAIRequestInputError) {
    return new ProviderError({ provider: ctx.id, code: 'bad_request', retryable: false, message: `Gemini request refused locally: ${e.message}`, cause: e });
  }
  if (e instanceof GoogleGenerativeAIAbortError) return abortedError(ctx, usage);
  if (e instanceof SyntaxError || (e instanceof GoogleGenerativeAIError && e.message.includes('Error parsing JSON response'))) {
    return badResponse(ctx, 'unparsable stream data', e, usage);
  }
  if (e instanceof GoogleGenerativeAIError && e.message.includes('Error fetching from')) return networkError(ctx, e);
  return started ? streamCutError(ctx, usage, e) : networkError(ctx, e);
}

interface QuotaViolation {
  quotaId?: string;
  quotaMetric?: string;
  quotaValue?: string;
  quotaDimensions?: { model?: string };
}

/**
 * A 429 RESOURCE_EXHAUSTED that waiting will not cure: a `google.rpc.QuotaFailure` naming a daily quota
 * (`…PerDay…`, reset at midnight Pacific) or a quota of 0 (this tier has none for the model: billing
 * must be enabled). A per-minute violation is a rate limit: its RetryInfo says when to try again.
 */
function exhaustedQuota(details: ErrorDetails[]): string | undefined {
  const violations = details
    .filter((d) => d['@type'] === QUOTA_FAILURE)
    .flatMap((d) => (Array.isArray(d.violations) ? (d.violations as QuotaViolation[]) : []));
  const hit = violations.find((v) => /PerDay/i.test(v.quotaId ?? '') || v.quotaValue === '0');
  if (!hit) return undefined;
  const limit = hit.quotaValue === undefined ? '' : `, limit ${hit.quotaValue}`;
  const model = hit.quotaDimensions?.model ? `, model ${hit.quotaDimensions.model}` : '';
  return `RESOURCE_EXHAUSTED: quota ${hit.quotaId ?? hit.quotaMetric ?? 'unnamed'}${limit}${model}`;
}
