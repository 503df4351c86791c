// `@google/generative-ai` as a ChatProvider. EVERY detail of that (deprecated) SDK lives in this file,
// so a swap to `@google/genai` touches nothing else. Its gotchas (shared/reference/provider-wire.md):
// `result.response` must always be caught, its `timeout` option leaks a timer (we time out ourselves),
// and its aggregated response garbles several function calls (we read the per-chunk stream).

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
import { abortedError, badResponse, httpError, networkError, parseDuration, streamCutError, type ErrorContext } from './errors';
import { hasNoArguments, toGeminiSchema } from './gemini-schema';

const GEMINI_URL = 'https://generativelanguage.googleapis.com';
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';
/** Thought signatures kept per call id, to hand back with the call in the next turn (Gemini 3 insists). */
const MAX_SIGNATURES = 1000;

export function createGeminiProvider(config: ProviderConfig): ChatProvider {
  return new GeminiProvider(config);
}

class GeminiProvider implements ChatProvider {
  readonly id: string;
  private readonly sdk: GoogleGenerativeAI;
  private readonly ctx: ErrorContext;
  private readonly timeoutMs: number;
  private readonly signatures = new Map<string, string>();

  constructor(private readonly config: ProviderConfig) {
    this.id = config.id;
    this.ctx = config;
    this.timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.sdk = new GoogleGenerativeAI(config.apiKey);
  }

  async *chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatChunk> {
    const attempt = new Attempt(this.ctx, signal, this.timeoutMs);
    const turn = new Turn(this.ctx, this.signatures);
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
      while (this.signatures.size > MAX_SIGNATURES) this.signatures.delete(this.signatures.keys().next().value as string);
    }
  }

  private toRequest(request: ChatRequest): GenerateContentRequest {
    return {
      contents: toGeminiContents(request, this.signatures),
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

/** Assistant tool calls → `functionCall` parts (role 'model'); tool results → `functionResponse` parts (role 'function'). */
export function toGeminiContents(request: ChatRequest, signatures: ReadonlyMap<string, string> = new Map()): Content[] {
  const out: Content[] = [];
  let results: Part[] | undefined; // consecutive tool results answer one turn together
  for (const m of request.messages) {
    if (m.role === 'tool') {
      const part: Part = { functionResponse: { name: m.name, response: m.isError ? { error: m.content } : { content: m.content } } };
      if (results) results.push(part);
      else {
        results = [part];
        out.push({ role: 'function', parts: results });
      }
      continue;
    }
    results = undefined;
    if (m.role === 'user') {
      out.push({ role: 'user', parts: [{ text: m.content }] });
      continue;
    }
    const parts: Part[] = m.content ? [{ text: m.content }] : [];
    for (const c of m.toolCalls ?? []) {
      const signature = signatures.get(c.id);
      parts.push({ functionCall: { name: c.name, args: c.arguments }, ...(signature ? { thoughtSignature: signature } : {}) } as Part);
    }
    if (parts.length) out.push({ role: 'model', parts });
  }
  return out;
}

interface WirePart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { id?: string; name: string; args?: Record<string, unknown> };
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
  private readonly calls: ToolCall[] = [];

  constructor(private readonly ctx: ErrorContext, private readonly signatures: Map<string, string>) {}

  accept(chunk: GenerateContentResponse): ChatChunk[] {
    if (chunk.usageMetadata) this.usage = toUsage(chunk.usageMetadata as WireUsage);
    const candidate = chunk.candidates?.[0];
    if (!candidate) return [];
    const out: ChatChunk[] = [];
    for (const part of (candidate.content?.parts ?? []) as WirePart[]) {
      if (part.functionCall) {
        const id = part.functionCall.id ?? `call_${randomUUID().slice(0, 8)}`;
        if (part.thoughtSignature) this.signatures.set(id, part.thoughtSignature);
        const args = part.functionCall.args ?? {};
        if (typeof args !== 'object' || args === null || Array.isArray(args)) {
          throw badResponse(this.ctx, `the arguments of tool call "${part.functionCall.name}" are not an object`, undefined, this.usage);
        }
        this.calls.push({ id, name: part.functionCall.name, arguments: args });
      } else if (part.text && !part.thought) {
        out.push({ type: 'text', text: part.text });
      }
    }
    if (candidate.finishReason) this.finishReason = candidate.finishReason;
    return out;
  }

  finish(latencyMs: number): ChatChunk[] {
    // A cut at an event boundary ends the SDK's stream as if all went well.
    if (!this.finishReason) throw streamCutError(this.ctx, this.usage);
    const out: ChatChunk[] = this.calls.map((call) => ({ type: 'tool_call' as const, call }));
    if (this.usage) out.push({ type: 'usage', usage: this.usage });
    out.push({ type: 'end', stopReason: this.calls.length ? 'tool_calls' : stopReason(this.finishReason), latencyMs });
    return out;
  }
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
    return httpError(ctx, e.status, {
      detail, usage, cause: e,
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
