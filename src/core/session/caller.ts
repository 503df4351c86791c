// One model call, with the failure policy's first step: retry on the same provider for retryable
// errors, honouring retry-after with capped backoff. Every attempt is an event (llm.request, then
// llm.response or llm.error), every attempt reserves its worst-case cost against the budget first,
// and each provider has its own concurrency limit. What the caller cannot fix it throws:
// RouteExhaustedError (switch provider), ContextOverflowError (the prompt is over the model's window:
// compact and ask the same provider again), BudgetExhaustedError, or the abort reason (cancel).

import type { EventSink, ModelRef } from '../events';
import {
  ProviderError,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type Clock,
  type ProviderData,
  type ToolCall,
  type ToolSpec,
  type Usage,
  type StopReason,
} from '../ports';
import { REDACTED, type Redactor } from '../redact';
import { Budget, estimateTokens } from '../money/budget';
import type { Pricing } from '../money/pricing';
import { Semaphore } from './semaphore';

export interface CallResult {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  stopReason: StopReason;
  latencyMs: number;
  /** What the provider wants back verbatim with this turn (push it with the assistant message). */
  providerData?: ProviderData;
}

export class RouteExhaustedError extends Error {
  constructor(
    readonly route: ModelRef,
    readonly last: ProviderError,
    readonly attempts: number,
  ) {
    super(
      attempts === 0
        ? `${route.provider}/${route.model} skipped (it answered earlier): ${last.message}`
        : `${route.provider}/${route.model} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${last.message}`,
    );
    this.name = 'RouteExhaustedError';
  }
}

/**
 * The provider refused the prompt as larger than the model's context window: another attempt with the
 * same prompt, or another provider given the same conversation, would fail alike. The conversation must
 * shrink (src/core/session/compaction.ts); `promptTokens` is this prompt's size as the engine estimated it.
 */
export class ContextOverflowError extends Error {
  constructor(
    readonly route: ModelRef,
    readonly error: ProviderError,
    readonly promptTokens: number,
  ) {
    super(error.message);
    this.name = 'ContextOverflowError';
  }
}

export interface CallerDeps {
  sink: EventSink;
  clock: Clock;
  budget: Budget;
  pricing: Pricing;
  resolve: (providerId: string) => ChatProvider | undefined;
  retry: { maxRetries: number; baseBackoffMs: number; maxBackoffMs: number };
  providerLimit: (providerId: string) => number;
  signal: AbortSignal;
  /** Flush streamed text into one `agent.text` event at most this often. */
  textFlushMs?: number;
  /**
   * The session's redactor (the log's): what is sent to a provider is redacted by it first — the system
   * prompt (with the project rules), the user turns (task prompts, feedback, notes) and the tool results
   * (file contents, command output, search lines). Without it (tests of the caller alone), nothing is.
   */
  redactor?: Redactor;
}

/** Said after a tool result that had credentials replaced, so that the model does not write the placeholder back into a file. */
export const REDACTION_NOTE = `(Ensemble replaced credentials in this result with ${REDACTED}. Never write ${REDACTED} into a file: leave those lines as they are, and change the others with edit_file.)`;

export interface CallContext {
  agentId: string;
  taskId?: string;
  trace: string;
  /**
   * The call's signal instead of the session's: a task's (Steering.track), which the user's Stop Task
   * aborts and which also follows the session's cancel. Without it, the session's.
   */
  signal?: AbortSignal;
  /** Streams no `agent.text`: a call the engine makes for itself (a conversation's summary), whose text the agent does not say. */
  quiet?: boolean;
}

let callCounter = 0;

export class ModelCaller {
  private readonly semaphores = new Map<string, Semaphore>();
  /** Providers that answered 'quota': out of money until the user acts, so not asked again this session. */
  private readonly outOfQuota = new Map<string, ProviderError>();

  /** Each message as it was sent, redacted: a conversation only grows, and its messages are the same objects turn after turn. */
  private readonly sent = new WeakMap<ChatMessage, ChatMessage>();
  /** System prompts as sent (a few per session: one per role, the planner's, the reviewer's). */
  private readonly systems = new Map<string, string>();

  constructor(private readonly deps: CallerDeps) {}

  async call(route: ModelRef, req: Omit<ChatRequest, 'model' | 'trace'>, ctx: CallContext): Promise<CallResult> {
    const known = this.outOfQuota.get(route.provider);
    if (known) throw new RouteExhaustedError(route, known, 0);
    return this.retried(route, this.redacted(req), ctx, ctx.signal ?? this.deps.signal);
  }

  /** A tool's result as the model may read it: redacted, with a note when something was (the agent loop pushes it so into the conversation). */
  redactToolResult(text: string): string {
    const out = this.deps.redactor?.text(text) ?? text;
    return out === text ? text : `${out}\n\n${REDACTION_NOTE}`;
  }

  /** `req` with every text a provider would read redacted; the model's own turns are sent back as they came. */
  private redacted(req: Omit<ChatRequest, 'model' | 'trace'>): Omit<ChatRequest, 'model' | 'trace'> {
    const r = this.deps.redactor;
    if (!r) return req;
    let system = this.systems.get(req.system);
    if (system === undefined) {
      if (this.systems.size >= 32) this.systems.clear();
      this.systems.set(req.system, (system = r.text(req.system)));
    }
    const messages = req.messages.map((m) => {
      if (m.role === 'assistant') return m;
      let out = this.sent.get(m);
      if (!out) {
        const content = r.text(m.content);
        this.sent.set(m, (out = content === m.content ? m : { ...m, content }));
      }
      return out;
    });
    return { ...req, system, messages };
  }

  private async retried(route: ModelRef, req: Omit<ChatRequest, 'model' | 'trace'>, ctx: CallContext, signal: AbortSignal): Promise<CallResult> {
    const { retry, clock, sink } = this.deps;
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        return await this.attempt(route, req, ctx, attempt, signal);
      } catch (e) {
        if (!(e instanceof ProviderError) || signal.aborted) throw e;
        if (e.code === 'context_overflow') throw new ContextOverflowError(route, e, requestTokens(req));
        if (e.code === 'quota') this.outOfQuota.set(route.provider, e);
        if (!e.retryable || attempt > retry.maxRetries) throw new RouteExhaustedError(route, e, attempt);
        const backoff = Math.min(retry.maxBackoffMs, e.retryAfterMs ?? retry.baseBackoffMs * 2 ** (attempt - 1));
        sink.emit({
          type: 'llm.retrying',
          agentId: ctx.agentId,
          taskId: ctx.taskId,
          provider: route.provider,
          model: route.model,
          inMs: backoff,
          attempt: attempt + 1,
        });
        await clock.sleep(backoff, signal);
      }
    }
  }

  private semaphore(provider: string): Semaphore {
    let s = this.semaphores.get(provider);
    if (!s) this.semaphores.set(provider, (s = new Semaphore(this.deps.providerLimit(provider))));
    return s;
  }

  private async attempt(
    route: ModelRef,
    base: Omit<ChatRequest, 'model' | 'trace'>,
    ctx: CallContext,
    attempt: number,
    signal: AbortSignal,
  ): Promise<CallResult> {
    const { sink, clock, budget, pricing } = this.deps;
    const provider = this.deps.resolve(route.provider);
    if (!provider)
      throw new ProviderError({ provider: route.provider, code: 'auth', retryable: false, message: `No API key for provider "${route.provider}".` });
    const release = await this.semaphore(route.provider).acquire(signal);
    const request: ChatRequest = { ...base, model: route.model, trace: ctx.trace };
    // Prices may depend on the time (off-peak rates): the call is priced at the moment it is sent.
    // Its prompt's size is known before sending, so the worst case is priced at the tier it reaches.
    const at = new Date(clock.now());
    // A call paid by the user's plan (VS Code's models) has no per-token price: it reserves nothing.
    const plan = pricing.onPlan(route);
    const billing = plan ? { billing: 'plan' as const } : {};
    const worst = plan ? null : pricing.worstCase(route, requestTokens(request), request.maxOutputTokens, at);
    try {
      budget.reserve(worst ?? 0);
    } catch (e) {
      release();
      throw e;
    }
    // Emitted at once (nothing awaited since the budget admitted it): the money fold counts the reservation from here.
    const callId = `c${++callCounter}-${clock.now().toString(36)}`;
    sink.emit({
      type: 'llm.request',
      callId,
      agentId: ctx.agentId,
      taskId: ctx.taskId,
      provider: route.provider,
      model: route.model,
      trace: ctx.trace,
      attempt,
      reservedUsd: worst ?? undefined,
      ...billing,
    });
    const started = clock.now();
    const text = new TextCoalescer(
      ctx.quiet ? () => {} : (t) => sink.emit({ type: 'agent.text', agentId: ctx.agentId, text: t }),
      clock,
      this.deps.textFlushMs ?? 1000,
    );
    const toolCalls: ToolCall[] = [];
    let usage: Usage | undefined;
    let providerData: ProviderData | undefined;
    let end: { stopReason: StopReason; latencyMs: number } | undefined;
    try {
      for await (const chunk of provider.chat(request, signal)) {
        if (chunk.type === 'text') text.add(chunk.text);
        else if (chunk.type === 'tool_call') toolCalls.push(chunk.call);
        else if (chunk.type === 'usage') usage = chunk.usage;
        else if (chunk.type === 'provider_data') providerData = chunk.data;
        else if (chunk.type === 'end') end = chunk;
      }
      if (!end)
        throw new ProviderError({
          provider: route.provider,
          code: 'stream_cut',
          retryable: true,
          message: `${route.provider} ended the answer without finishing it.`,
          usage,
        });
    } catch (e) {
      text.flush();
      const err =
        e instanceof ProviderError
          ? e
          : new ProviderError({
              provider: route.provider,
              code: signal.aborted ? 'aborted' : 'bad_response',
              retryable: false,
              message: String((e as Error)?.message ?? e),
              cause: e,
            });
      // The error settles the reservation in the money fold: at its cost when the provider reported
      // usage; else free before any answer, or unknown mid-answer (its worst case stays charged).
      const cost = err.usage && !plan ? pricing.cost(route, err.usage, at) : undefined;
      sink.emit({
        type: 'llm.error',
        callId,
        agentId: ctx.agentId,
        taskId: ctx.taskId,
        provider: route.provider,
        model: route.model,
        latencyMs: clock.now() - started,
        code: err.code,
        status: err.status,
        retryable: err.retryable,
        retryAfterMs: err.retryAfterMs,
        message: err.message,
        usage: err.usage,
        costUsd: cost,
        ...billing,
      });
      throw signal.aborted ? (signal.reason ?? err) : err;
    } finally {
      release();
    }
    text.flush();
    const finalUsage = usage ?? { input: 0, output: 0 };
    // Settled at the tier the provider billed: the one its reported usage reaches.
    const cost = usage && !plan ? pricing.cost(route, usage, at) : null;
    sink.emit({
      type: 'llm.response',
      callId,
      agentId: ctx.agentId,
      taskId: ctx.taskId,
      provider: route.provider,
      model: route.model,
      latencyMs: end.latencyMs,
      usage: finalUsage,
      costUsd: cost,
      ...billing,
      stopReason: end.stopReason,
      toolCalls: toolCalls.map((c) => c.name),
    });
    return { text: text.all, toolCalls, usage: finalUsage, stopReason: end.stopReason, latencyMs: end.latencyMs, ...(providerData ? { providerData } : {}) };
  }
}

// A conversation only grows, and its messages and tool specs are the same objects from one turn to
// the next: each one's length is counted once, so pricing an attempt is not O(conversation) again.
const lengths = new WeakMap<object, number>();
/** What an image in a tool result counts for, in characters of the estimate: ~1,600 tokens, what a provider bills a large one. */
const IMAGE_CHARS = 4_800;

const lengthOf = (key: object, measure: () => number): number => {
  let n = lengths.get(key);
  if (n === undefined) lengths.set(key, (n = measure()));
  return n;
};

/** The length of one message's text (an assistant's with its tool calls and provider data), counted once per message object. */
export function messageLength(m: ChatMessage): number {
  return lengthOf(m, () =>
    m.role === 'assistant'
      ? m.content.length + JSON.stringify(m.toolCalls ?? []).length + JSON.stringify(m.providerData?.parts ?? []).length
      : m.content.length + (m.role === 'tool' ? (m.images?.length ?? 0) * IMAGE_CHARS : 0),
  );
}

/** The length of the prompt's text: the system prompt, the tools as JSON and the messages. */
export function promptLength(r: { system: string; tools?: readonly ToolSpec[]; messages: readonly ChatMessage[] }): number {
  let n = r.system.length + r.messages.length;
  for (const t of r.tools ?? []) n += lengthOf(t, () => JSON.stringify(t).length + 1);
  for (const m of r.messages) n += messageLength(m);
  return n;
}

/** A request's prompt in tokens, as the engine estimates it before sending (budget reservations, context windows). */
export function requestTokens(r: { system: string; tools?: readonly ToolSpec[]; messages: readonly ChatMessage[] }): number {
  return estimateTokens(promptLength(r));
}

/** Gathers streamed text and emits it in a few larger pieces instead of one event per token. */
class TextCoalescer {
  all = '';
  private pending = '';
  private since = 0;

  constructor(
    private readonly emit: (text: string) => void,
    private readonly clock: Clock,
    private readonly everyMs: number,
  ) {}

  add(t: string): void {
    if (!this.pending) this.since = this.clock.now();
    this.pending += t;
    this.all += t;
    if (this.clock.now() - this.since >= this.everyMs) this.flush();
  }

  flush(): void {
    if (this.pending.trim()) this.emit(this.pending);
    this.pending = '';
  }
}
